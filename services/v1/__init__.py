"""Generated protobuf contracts (package careline.v1). Do not edit: run scripts/gen_proto.py."""
