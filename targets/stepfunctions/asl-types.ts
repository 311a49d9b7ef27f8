// The JSON shapes the state machine is built from, shared by the files that build its states.
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };
export type State = { readonly [key: string]: Json };
