//! Storage: migrations per dialect and the one portable query layer.
