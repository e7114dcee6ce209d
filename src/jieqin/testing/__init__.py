"""Test helpers shipped with jieqin: hypothesis strategies, the storage contract suite, fixtures."""
