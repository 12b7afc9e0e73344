/** `chatshift/legacy-chat`: the legacy Chat Agent API source and its loopback simulator. */
export const backend = 'legacy-chat' as const;
