"""dropcast's pure reading core: sniff, read, assign roles and normalise an upload.

Takes bytes and parameters, returns the canonical table (or raises an
``InputError`` that names the line and the fix). It may import
``dropcast_common``'s contracts and errors, pandas and pyarrow; never a
cloud client, a web framework or a service.
"""
