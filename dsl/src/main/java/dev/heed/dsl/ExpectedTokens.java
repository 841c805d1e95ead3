package dev.heed.dsl;

import java.util.HashSet;
import java.util.Set;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenStream;
import org.antlr.v4.runtime.atn.ATN;
import org.antlr.v4.runtime.atn.ATNState;
import org.antlr.v4.runtime.atn.NotSetTransition;
import org.antlr.v4.runtime.atn.RuleStopState;
import org.antlr.v4.runtime.atn.RuleTransition;
import org.antlr.v4.runtime.atn.Transition;
import org.antlr.v4.runtime.atn.WildcardTransition;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * The tokens the grammar allows at the offending token of a syntax error.
 *
 * <p>ANTLR's own answer is the set of tokens that may start the decision that failed, which
 * is wrong when prediction read past the decision's first token before giving up. This
 * walks the parser's ATN from the decision state, in the actual rule-invocation context,
 * over the tokens prediction consumed, and collects the tokens that could follow. Semantic
 * and precedence predicates are taken as true, which can only add operators to the set.
 */
final class ExpectedTokens {
  private ExpectedTokens() {}

  /** A position in the ATN: a state, the rules entered since the start, the caller context. */
  private record Config(ATNState state, Frame stack, RuleContext outer) {}

  /** Follow states of the rules entered during the walk, innermost first. */
  private record Frame(ATNState follow, Frame next) {}

  /**
   * The tokens allowed at token index {@code offending}, starting from ATN state
   * {@code state} in context {@code ctx} at token index {@code start}.
   */
  static IntervalSet compute(Parser parser, int state, ParserRuleContext ctx, int start, int offending) {
    ATN atn = parser.getATN();
    if (state < 0 || state >= atn.states.size()) return parser.getExpectedTokens();
    TokenStream tokens = parser.getInputStream();
    Set<Config> current = new HashSet<>();
    IntervalSet atEnd = new IntervalSet();
    closure(atn, new Config(atn.states.get(state), null, ctx), current, new HashSet<>(), atEnd);
    for (int i = start; i < offending; i++) {
      Token t = tokens.get(i);
      if (t.getChannel() != Token.DEFAULT_CHANNEL) continue;
      Set<Config> next = new HashSet<>();
      Set<Config> visited = new HashSet<>();
      for (Config c : current) {
        for (Transition tr : c.state().getTransitions()) {
          if (!tr.isEpsilon() && tr.matches(t.getType(), Token.MIN_USER_TOKEN_TYPE, atn.maxTokenType)) {
            closure(atn, new Config(tr.target, c.stack(), c.outer()), next, visited, new IntervalSet());
          }
        }
      }
      if (next.isEmpty()) return atn.getExpectedTokens(state, ctx);
      current = next;
      atEnd = new IntervalSet();
    }
    IntervalSet expected = new IntervalSet();
    expected.addAll(atEnd);
    for (Config c : current) {
      for (Transition tr : c.state().getTransitions()) {
        if (tr.isEpsilon()) continue;
        if (tr instanceof WildcardTransition) {
          expected.add(Token.MIN_USER_TOKEN_TYPE, atn.maxTokenType);
        } else if (tr instanceof NotSetTransition) {
          expected.addAll(tr.label().complement(Token.MIN_USER_TOKEN_TYPE, atn.maxTokenType));
        } else if (tr.label() != null) {
          expected.addAll(tr.label());
        }
      }
    }
    return expected;
  }

  /** Adds to {@code out} every state reachable from {@code c} without consuming a token. */
  private static void closure(ATN atn, Config c, Set<Config> out, Set<Config> visited, IntervalSet atEnd) {
    if (!visited.add(c)) return;
    ATNState s = c.state();
    if (s instanceof RuleStopState) {
      if (c.stack() != null) {
        closure(atn, new Config(c.stack().follow(), c.stack().next(), c.outer()), out, visited, atEnd);
      } else if (c.outer() != null && c.outer().invokingState >= 0) {
        RuleTransition call = (RuleTransition) atn.states.get(c.outer().invokingState).transition(0);
        closure(atn, new Config(call.followState, null, c.outer().parent), out, visited, atEnd);
      } else {
        atEnd.add(Token.EOF);
      }
      return;
    }
    out.add(c);
    for (Transition tr : s.getTransitions()) {
      if (tr instanceof RuleTransition call) {
        closure(atn, new Config(call.target, new Frame(call.followState, c.stack()), c.outer()), out, visited, atEnd);
      } else if (tr.isEpsilon()) {
        closure(atn, new Config(tr.target, c.stack(), c.outer()), out, visited, atEnd);
      }
    }
  }
}
