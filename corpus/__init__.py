"""The corpus pipeline (issue 4). So far: MinHash signatures and near-duplicate clustering."""
