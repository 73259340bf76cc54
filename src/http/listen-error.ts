/** The server cannot listen where it was told to: the address is taken or not ours to use. */
export class ListenError extends Error {}
