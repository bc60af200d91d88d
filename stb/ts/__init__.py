"""MPEG-TS plumbing shared by the demo head-end and the relay: packet parsing, fan-out, splicing."""
