"""The W&B-shaped API: Artifact, Entry, Run and Api. Sits above the stores it uses."""
