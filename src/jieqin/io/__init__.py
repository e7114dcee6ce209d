"""Serialization, import and export: the edges where outside data meets the model."""

from jieqin.io.converter import from_json, structure, to_json, unstructure

__all__ = ["from_json", "structure", "to_json", "unstructure"]
