/** `chatshift/messaging`: the Messaging agent WebSocket source and its loopback simulator. */
export const backend = 'messaging' as const;
