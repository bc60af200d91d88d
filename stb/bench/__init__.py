"""`stb bench` scenarios: numbers as ratios against a baseline measured in the same run."""
