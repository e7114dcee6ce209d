"""jieqin's own plugins: the standard vocabularies and the storage backends.

They register through the same hooks an outside plugin implements, marked
``trylast`` so that an outside plugin registering the same code wins.
"""
