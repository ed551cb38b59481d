"""Benchmarks of langchain-qwen-omni, reported as ratios against the raw openai SDK."""
