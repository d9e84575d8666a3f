"""ShardGate integration-test harness: real MariaDB servers and the proxy as child processes."""
