/** The fd a worker finds its channel on. */
export const CHANNEL_FD = 3;
