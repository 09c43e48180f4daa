/** Who makes a change: every change is audited with it. */
export const ACTOR_HEADER = 'x-infera-actor'
/** The digest the registry recorded for a downloaded file, to check the bytes against. */
export const SHA256_HEADER = 'x-infera-sha256'
