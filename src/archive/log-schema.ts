/**
 * The transparency log's tables, beside the archive's (issue 16). An entry is written in the
 * submission's own transaction; the sequencer turns entries into tiles and a signed checkpoint.
 * A tile is one row, overwritten as it grows: hashes already in it never change, so the
 * partial tile `.p/W` of any published checkpoint is the row's first W hashes.
 */
export function logSchemaSql(blob: "BLOB" | "BYTEA"): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS log_state (id INTEGER PRIMARY KEY, next_index BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS log_entries (
      idx BIGINT PRIMARY KEY,
      submission_id TEXT NOT NULL UNIQUE,
      entry ${blob} NOT NULL,
      leaf_hash ${blob} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS log_tiles (level INTEGER NOT NULL, idx BIGINT NOT NULL, hashes ${blob} NOT NULL, PRIMARY KEY (level, idx))`,
    `CREATE TABLE IF NOT EXISTS log_checkpoints (
      size BIGINT PRIMARY KEY,
      note TEXT NOT NULL,
      cosignatures TEXT NOT NULL,
      created_at TEXT NOT NULL)`,
  ];
}
