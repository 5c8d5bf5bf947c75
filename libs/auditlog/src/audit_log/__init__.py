"""The tamper-evident log's rules, shared by the services that write it and the auditors
who check it: how a stored event is hashed into its aggregate's chain and into the
service's RFC 6962 Merkle tree, how a tree head is signed, and how a copy of the stored
rows is verified. Pure: standard library and ``cryptography`` only."""
