import { ApiError } from "../http/errors.js";
import { msg, thing, type Thing } from "../http/messages.js";

export interface Transition<S extends string> {
  from: readonly S[];
  to: S;
}

/**
 * A record's lifecycle as data: each action names the states it may start from and the state it
 * leads to. Illegal actions are a 409 that names the current state and what is allowed from it.
 */
export function defineMachine<S extends string, A extends string>(
  subject: Thing,
  states: readonly S[],
  transitions: Record<A, Transition<S>>,
) {
  const actions = Object.keys(transitions) as A[];
  const allowedFrom = (state: S) => actions.filter((a) => transitions[a].from.includes(state));
  return {
    subject,
    states,
    actions,
    transitions,
    allowedFrom,
    next(current: S, action: A): S {
      const transition = transitions[action];
      if (!transition.from.includes(current)) {
        const allowed = allowedFrom(current);
        throw new ApiError(
          "invalid_transition",
          allowed.length
            ? msg("state.cannot", { action, subject: thing(subject), current, allowed })
            : msg("state.cannot_final", { action, subject: thing(subject), current }),
          { currentState: current, allowedActions: allowed },
        );
      }
      return transition.to;
    },
  };
}

export type Machine<S extends string, A extends string> = ReturnType<typeof defineMachine<S, A>>;
