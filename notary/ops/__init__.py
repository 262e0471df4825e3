"""Running the parts as processes on one machine: the local chain, other development
nodes, a throwaway PostgreSQL, several API processes, the cluster."""
