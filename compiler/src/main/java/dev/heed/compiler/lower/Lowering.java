package dev.heed.compiler.lower;

import dev.heed.compiler.ir.Attr;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.ShapeError;
import dev.heed.compiler.ir.TensorType;
import dev.heed.dsl.SpecParser;
import dev.heed.dsl.ast.Decl;
import dev.heed.dsl.ast.Expr;
import dev.heed.dsl.ast.Spec;
import dev.heed.dsl.ast.Stmt;
import dev.heed.dsl.ast.TypePattern;
import dev.heed.dsl.diag.Diagnostic;
import dev.heed.dsl.diag.Diagnostics;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.dsl.diag.Span;
import dev.heed.dsl.diag.Suggest;
import dev.heed.runtime.DType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Lowers a parsed spec to IR by evaluating it: constants are computed, layers are
 * instantiated at each call with the actual argument types (so every shape is checked
 * where the layer is used), {@code for} loops are unrolled, and each parameter gets its
 * checkpoint name from the enclosing {@code as "..."} prefixes. Errors are collected per
 * statement, so one run reports every independent mistake.
 */
public final class Lowering {
  private static final int MAX_CALL_DEPTH = 64;

  /**
   * The most elements one tensor may have: the largest Java array. Dimensions known at
   * compile time are checked against it, so an absurd shape is a located error, not an
   * allocation failure (or an int overflow) in generated code.
   */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  /**
   * The most statements lowering executes, counting every unrolled loop iteration and layer
   * call: nested loops and layers calling layers multiply, and this keeps that finite.
   */
  public static final int MAX_STATEMENTS = 200_000;

  /** The longest checkpoint name, prefixes included: it becomes a Java string constant (at most 65535 bytes). */
  public static final int MAX_CHECKPOINT_NAME = 8192;

  /** A located error; caught per statement, recorded, and replaced by a poison value. */
  static final class LowerError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient Diagnostic diagnostic;

    LowerError(Diagnostic d) {
      super(d == null ? "(already reported)" : d.message(), null, false, false);
      this.diagnostic = d;
    }
  }

  /** Variables visible at a point: a chain of scopes ending at the global constants. */
  static final class Scope {
    final Scope parent;
    final Map<String, Val> vars = new LinkedHashMap<>();
    /** Names bound here that cannot be reassigned (loop variables, dimensions), with what they are. */
    final Map<String, String> fixed = new HashMap<>();

    Scope(Scope parent) { this.parent = parent; }

    Val lookup(String name) {
      for (Scope s = this; s != null; s = s.parent) {
        Val v = s.vars.get(name);
        if (v != null) return v;
      }
      return null;
    }

    Scope owner(String name) {
      for (Scope s = this; s != null; s = s.parent) if (s.vars.containsKey(name)) return s;
      return null;
    }

    Set<String> allNames() {
      Set<String> names = new TreeSet<>();
      for (Scope s = this; s != null; s = s.parent) names.addAll(s.vars.keySet());
      return names;
    }
  }

  /** One active layer instantiation: for parameter prefixes and "called from" notes. */
  record Frame(String layer, String prefix, Span callSite) {}

  private final Diagnostics diags = new Diagnostics();
  private final Set<String> reported = new HashSet<>();
  /** Every layer a spec's calls may reach: the standard layers and the spec's own. */
  private final Map<String, Decl.Layer> layers = new LinkedHashMap<>();
  /** Layers whose arguments are declared wrongly (already reported): a call to one gives poison. */
  private final Set<Decl.Layer> badArguments = Collections.newSetFromMap(new IdentityHashMap<>());
  /** The standard layers alone: what calls inside the prelude reach. */
  private final Map<String, Decl.Layer> standardLayers = new LinkedHashMap<>();
  private final Scope globals = new Scope(null);
  /**
   * What the standard layers' bodies see instead of the spec's constants: nothing. Their type
   * patterns bind names such as {@code d} and {@code d_in}, which a spec's {@code const d = 6}
   * must not turn into a required size.
   */
  private final Scope preludeGlobals = new Scope(null);
  /**
   * What the code of one file sees: the layers its calls reach and the constants its layers'
   * names resolve against. The spec's file sees every layer and its constants; the prelude,
   * only the standard layers and no constants.
   */
  private record FileScope(Map<String, Decl.Layer> layers, Scope globals) {}
  private final FileScope specScope = new FileScope(layers, globals);
  private final FileScope preludeScope = new FileScope(standardLayers, preludeGlobals);
  private final GraphBuilder graph = new GraphBuilder();
  private final Map<String, Span> paramNames = new HashMap<>();
  private final Map<String, Span> inputNames = new HashMap<>();
  private final List<Frame> frames = new ArrayList<>();
  private final Builtins builtins;
  private int statements;

  private Lowering() {
    this.builtins = new Builtins(this);
  }

  /** The spec's model as IR, or a HeedException with every error found. */
  public static Graph lower(Spec spec) {
    return new Lowering().run(spec);
  }

  private static Spec preludeSpec;

  /** The name spec locations use for the prelude. */
  public static final String PRELUDE_NAME = "heed/prelude.heed";

  /** The prelude's text, for quoting its lines in generated code. */
  public static SourceFile preludeFile() { return prelude().file(); }

  /** heed's standard layers ({@code prelude.heed}), parsed once. */
  static synchronized Spec prelude() {
    if (preludeSpec == null) {
      try (InputStream in = Lowering.class.getResourceAsStream("/dev/heed/compiler/prelude.heed")) {
        if (in == null) throw new IllegalStateException("prelude.heed missing from the heed compiler jar");
        preludeSpec = SpecParser.parse(new SourceFile(PRELUDE_NAME, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return preludeSpec;
  }

  /** Names of heed's standard layers, for documentation and tests. */
  public static List<String> preludeLayers() {
    return prelude().decls().stream().filter(d -> d instanceof Decl.Layer).map(Decl::name).toList();
  }

  private Graph run(Spec spec) {
    for (Decl d : prelude().decls()) if (d instanceof Decl.Layer l) standardLayers.put(l.name(), l);
    layers.putAll(standardLayers);
    Map<String, Span> userDecls = new HashMap<>();
    List<Decl.Layer> userLayers = new ArrayList<>();
    Decl.Model model = null;
    for (Decl d : spec.decls()) {
      Span first = userDecls.putIfAbsent(d.name(), d.span());
      if (first != null) {
        report(Diagnostic.error(d.span(), "'" + d.name() + "' is already declared",
            new Diagnostic.Note(first, "first declared here")));
        continue;
      }
      switch (d) {
        case Decl.Const c -> guarded(() -> {
          globals.vars.put(c.name(), constValue(eval(c.value(), globals), c));
        }, () -> globals.vars.put(c.name(), new Val.ErrorV(c.span())));
        case Decl.Layer l -> {
          if (standardLayers.containsKey(l.name())) {
            report(error(l.span(), "'" + l.name() + "' is a standard layer; give this layer another name").diagnostic);
          } else if (builtins.has(l.name())) {
            report(error(l.span(), "'" + l.name() + "' is a built-in function; give this layer another name").diagnostic);
          }
          layers.put(l.name(), l);
          userLayers.add(l);
        }
        case Decl.Model m -> {
          if (model != null) {
            report(Diagnostic.error(m.span(), "a spec declares one model; '" + model.name() + "' came first",
                new Diagnostic.Note(model.span(), "first model declared here")));
          } else {
            model = m;
          }
        }
      }
    }
    // Declarations are checked once all constants are known (a type's name may be one).
    for (Decl.Layer l : userLayers) {
      checkArguments(l);
      checkReachable(l.body());
    }
    if (model == null) {
      Span at = new Span(spec.file(), 1, 1, 1);
      // A model whose name was taken is already reported as declared twice.
      if (spec.decls().stream().noneMatch(d -> d instanceof Decl.Model)) {
        report(Diagnostic.error(at, "the spec declares no model (add `model Name { input ...; output ... = ...; }`)"));
      }
      diags.throwIfErrors();
    }
    List<Map.Entry<String, Val.TensorV>> outputs = new ArrayList<>();
    Scope scope = new Scope(globals);
    Map<String, Span> outputSpans = new HashMap<>();
    runBlock(model.body(), scope, BlockKind.MODEL, outputs, outputSpans);
    if (outputs.isEmpty() && !diags.hasErrors()) {
      report(Diagnostic.error(model.span(), "model '" + model.name() + "' has no outputs (add `output name = expr;`)"));
    }
    diags.throwIfErrors();
    return graph.build(model.name(), outputs);
  }

  /**
   * Reports a layer argument declared twice, and one named like a dimension that an earlier
   * argument's type binds (the argument would silently replace the dimension).
   */
  private void checkArguments(Decl.Layer layer) {
    Map<String, Span> args = new HashMap<>();
    Map<String, Map.Entry<Span, String>> dims = new HashMap<>();
    for (Decl.ArgDecl a : layer.args()) {
      Span prev = args.get(a.name());
      Map.Entry<Span, String> dim = dims.get(a.name());
      if (prev != null) {
        report(error(a.span(), "argument '" + a.name() + "' is declared twice", note(prev, "first declared here")).diagnostic);
        badArguments.add(layer);
      } else if (dim != null) {
        badArguments.add(layer);
        report(error(a.span(), "argument '" + a.name() + "' has the name of a dimension that the type of argument '"
            + dim.getValue() + "' binds; give one of them another name", note(dim.getKey(), "'" + a.name() + "' is bound here")).diagnostic);
      }
      args.putIfAbsent(a.name(), a.span());
      if (a.type().isEmpty()) continue;
      for (TypePattern.DimPattern dp : a.type().get().dims()) {
        // As when matching: a name that is neither an argument so far nor a constant binds a dimension.
        if (dp instanceof TypePattern.DimPattern.Of o && o.expr() instanceof Expr.Name n
            && !args.containsKey(n.name()) && globals.lookup(n.name()) == null) {
          dims.putIfAbsent(n.name(), new AbstractMap.SimpleEntry<>(n.span(), a.name()));
        }
      }
    }
  }

  /** Reports the first statement after a {@code return} in each block of a layer. */
  private void checkReachable(List<Stmt> body) {
    for (int i = 0; i < body.size(); i++) {
      Stmt s = body.get(i);
      if (s instanceof Stmt.For f) checkReachable(f.body());
      if (s instanceof Stmt.Return && i + 1 < body.size()) {
        report(error(body.get(i + 1).span(), "unreachable: this statement follows the layer's return",
            note(s.span(), "the layer returns here")).diagnostic);
        return;
      }
    }
  }

  private static Val constValue(Val v, Decl.Const c) {
    if (v instanceof Val.NumV || v instanceof Val.StrV || v instanceof Val.ErrorV) return v;
    throw new LowerError(Diagnostic.error(c.value().span(),
        "constant '" + c.name() + "' must be a number or string, not " + Val.describe(v)));
  }

  // ---- statements ----------------------------------------------------------------------

  enum BlockKind { MODEL, LAYER }

  /** Runs statements; returns the value of a {@code return}, or null when the block falls through. */
  private Val runBlock(List<Stmt> body, Scope scope, BlockKind kind, List<Map.Entry<String, Val.TensorV>> outputs,
      Map<String, Span> outputSpans) {
    for (Stmt s : body) {
      if (++statements > MAX_STATEMENTS) {
        // Not recoverable per statement: every enclosing loop would hit it again.
        report(error(s.span(), "lowering this spec executes more than " + MAX_STATEMENTS
            + " statements (loops and layer calls multiply); is a loop bound or a nesting too large?").diagnostic);
        diags.throwIfErrors();
      }
      Val[] result = new Val[1];
      guarded(() -> result[0] = runStmt(s, scope, kind, outputs, outputSpans), () -> {
        bindPoison(s, scope);
        // A failed `return` still ends the layer: its value is poison, not missing.
        if (s instanceof Stmt.Return || s instanceof Stmt.For) result[0] = new Val.ErrorV(s.span());
      });
      if (result[0] != null) return result[0];
    }
    return null;
  }

  private void bindPoison(Stmt s, Scope scope) {
    switch (s) {
      case Stmt.Let l -> scope.vars.put(l.name(), new Val.ErrorV(l.span()));
      case Stmt.Input i -> scope.vars.put(i.name(), new Val.ErrorV(i.span()));
      case Stmt.Param p -> scope.vars.put(p.name(), new Val.ErrorV(p.span()));
      case Stmt.Assign a -> {
        Scope owner = scope.owner(a.name());
        if (owner != null && owner != globals && !owner.fixed.containsKey(a.name())) {
          owner.vars.put(a.name(), new Val.ErrorV(a.span()));
        }
      }
      default -> {}
    }
  }

  private Val runStmt(Stmt s, Scope scope, BlockKind kind, List<Map.Entry<String, Val.TensorV>> outputs,
      Map<String, Span> outputSpans) {
    switch (s) {
      case Stmt.Input in -> {
        if (kind != BlockKind.MODEL) throw error(in.span(), "'input' declares a model input; layers take arguments instead");
        checkFresh(in.name(), in.span(), scope);
        Span prev = inputNames.putIfAbsent(in.name(), in.span());
        if (prev != null) throw error(in.span(), "input '" + in.name() + "' is declared twice", note(prev, "first declared here"));
        TensorType type = inputType(in, scope);
        for (Dim d : type.shape()) {
          if (d instanceof Dim.Sym sym && scope.lookup(sym.name()) == null) {
            scope.vars.put(sym.name(), new Val.DimV(d, in.span()));
            scope.fixed.put(sym.name(), "a dimension");
          }
        }
        scope.vars.put(in.name(), graph.declare(Op.INPUT, in.name(), Map.of("name", new Attr.Str(in.name())), type, in.span()));
      }
      case Stmt.Param p -> {
        checkFresh(p.name(), p.span(), scope);
        List<Dim> shape = new ArrayList<>();
        for (Expr e : p.shape()) shape.add(Dim.of(positiveInt(eval(e, scope), e, "parameter dimension")));
        checkElements(shape, p.span(), "parameter '" + p.name() + "'");
        String local = p.checkpointName().orElse(p.name());
        String prefix = frames.isEmpty() ? "" : frames.get(frames.size() - 1).prefix();
        String full = prefix.isEmpty() ? local : prefix + "." + local;
        if (full.length() > MAX_CHECKPOINT_NAME) {
          throw error(p.span(), "checkpoint name of parameter '" + p.name() + "' is " + full.length()
              + " characters long; the limit is " + MAX_CHECKPOINT_NAME);
        }
        Span prev = paramNames.putIfAbsent(full, p.span());
        if (prev != null) {
          String msg = "parameter '" + full + "' is declared twice; give each layer call its own `as \"name\"`";
          throw prev.equals(p.span()) ? error(p.span(), msg) : error(p.span(), msg, note(prev, "first declared here"));
        }
        Map<String, Attr> attrs = new LinkedHashMap<>();
        attrs.put("name", new Attr.Str(full));
        attrs.put("init", new Attr.Str(p.init().orElse("uniform")));
        scope.vars.put(p.name(), graph.declare(Op.PARAM, full, attrs, new TensorType(DType.F32, shape), p.span()));
      }
      case Stmt.Let l -> {
        checkFresh(l.name(), l.span(), scope);
        Val v = eval(l.value(), scope);
        nameValue(v, l.name());
        scope.vars.put(l.name(), v);
      }
      case Stmt.Assign a -> {
        Scope owner = scope.owner(a.name());
        if (owner == null) throw unknownName(a.name(), a.span(), scope, "assign to");
        if (owner == globals) throw error(a.span(), "'" + a.name() + "' is a constant and cannot be reassigned");
        String fixed = owner.fixed.get(a.name());
        if (fixed != null) throw error(a.span(), "'" + a.name() + "' is " + fixed + " and cannot be reassigned");
        Val v = eval(a.value(), scope);
        nameValue(v, a.name());
        owner.vars.put(a.name(), v);
      }
      case Stmt.For f -> {
        long from = intValue(eval(f.from(), scope), f.from(), "loop bound");
        long to = intValue(eval(f.to(), scope), f.to(), "loop bound");
        // Compared as doubles: `to - from` overflows a long for bounds near ±2^63.
        if ((double) to - (double) from > 10_000) {
          throw error(f.span(), "loop runs " + ((double) to - (double) from > Long.MAX_VALUE ? "more than 2^63"
              : Long.toString(to - from)) + " times; at most 10000 unrolled iterations");
        }
        for (long i = from; i < to; i++) {
          Scope body = new Scope(scope);
          body.vars.put(f.var(), new Val.NumV(i, true, f.span()));
          body.fixed.put(f.var(), "a loop variable");
          Val r = runBlock(f.body(), body, kind, outputs, outputSpans);
          if (r != null) return r;
        }
      }
      case Stmt.Return r -> {
        if (kind != BlockKind.LAYER) throw error(r.span(), "'return' ends a layer; a model names its results with 'output'");
        return eval(r.value(), scope);
      }
      case Stmt.Output o -> {
        if (kind != BlockKind.MODEL) throw error(o.span(), "'output' belongs in the model; a layer ends with 'return'");
        Span prev = outputSpans.putIfAbsent(o.name(), o.span());
        if (prev != null) throw error(o.span(), "output '" + o.name() + "' is declared twice", note(prev, "first declared here"));
        Val v = eval(o.value(), scope);
        if (v instanceof Val.ErrorV) return null;
        if (!(v instanceof Val.TensorV t)) throw error(o.value().span(), "an output must be a tensor, not " + Val.describe(v));
        nameValue(t, o.name());
        outputs.add(new AbstractMap.SimpleEntry<>(o.name(), t));
      }
    }
    return null;
  }

  private void nameValue(Val v, String var) {
    if (v instanceof Val.TensorV t) {
      String prefix = frames.isEmpty() ? "" : frames.get(frames.size() - 1).prefix();
      graph.nameIfAnonymous(t, prefix.isEmpty() ? var : prefix + "." + var);
    }
  }

  private void checkFresh(String name, Span span, Scope scope) {
    if (scope.vars.containsKey(name)) {
      Val prev = scope.vars.get(name);
      String fixed = scope.fixed.get(name);
      throw error(span, "'" + name + "' is already defined in this block" + (fixed != null ? " as " + fixed
          : "; assign with `" + name + " = ...` to rebind it"), note(prev.origin(), "defined here"));
    }
  }

  private TensorType inputType(Stmt.Input in, Scope scope) {
    TypePattern t = in.type();
    DType dtype = t.dtype().map(DType::fromIrName).orElse(DType.F32);
    List<Dim> dims = new ArrayList<>();
    for (TypePattern.DimPattern dp : t.dims()) {
      if (dp instanceof TypePattern.DimPattern.Rest r) throw error(r.span(), "a model input needs every dimension; '...' is for layer arguments");
      Expr e = ((TypePattern.DimPattern.Of) dp).expr();
      if (e instanceof Expr.Name n && scope.owner(n.name()) != null && scope.owner(n.name()) != globals) {
        // A model's own name: a dimension an earlier input declared, or a compile-time
        // integer, as in a param's shape; anything else cannot size an input.
        Val v = scope.lookup(n.name());
        if (v instanceof Val.DimV d) {
          dims.add(d.dim());
        } else if (v instanceof Val.NumV || v instanceof Val.ErrorV) {
          dims.add(Dim.of(positiveInt(v, e, "input dimension")));
        } else {
          throw error(n.span(), "'" + n.name() + "' is a local variable, not a constant or a dimension ("
              + Val.describe(v) + ")", note(v.origin(), "defined here"));
        }
      } else if (e instanceof Expr.Name n && globals.lookup(n.name()) == null) {
        // A new name declares a dimension bound per call; one a typo away from a constant is a typo.
        Optional<String> near = Suggest.closest(n.name(), globals.vars.keySet());
        if (near.isPresent()) {
          throw error(n.span(), "'" + n.name() + "' is not a constant; did you mean '" + near.get()
              + "'? (to declare a dimension bound per call, pick a name not so close to a constant)");
        }
        dims.add(Dim.sym(n.name()));
      } else {
        dims.add(Dim.of(positiveInt(eval(e, scope), e, "input dimension")));
      }
    }
    checkElements(dims, in.span(), "input '" + in.name() + "'");
    return new TensorType(dtype, dims);
  }

  /** Rejects a shape whose known dimensions alone hold more than {@link #MAX_ELEMENTS} elements. */
  private void checkElements(List<Dim> shape, Span span, String what) {
    String problem = tooManyElements(shape);
    if (problem != null) throw error(span, what + " " + problem);
  }

  /** Why {@code shape} is too large for a Java array, or null when it is not. */
  static String tooManyElements(List<Dim> shape) {
    BigInteger known = BigInteger.ONE;
    List<String> factors = new ArrayList<>();
    for (Dim d : shape) {
      factors.add(d.toString());
      if (d.isKnown()) known = known.multiply(BigInteger.valueOf(d.size()));
    }
    if (known.compareTo(BigInteger.valueOf(MAX_ELEMENTS)) <= 0) return null;
    boolean symbolic = shape.stream().anyMatch(d -> !d.isKnown());
    return "has " + (symbolic ? "at least " : "") + known + " elements (" + String.join(" × ", factors) + "); the limit is "
        + MAX_ELEMENTS + " elements per tensor, the largest Java array";
  }

  // ---- expressions -------------------------------------------------------------------

  Val eval(Expr e, Scope scope) {
    return switch (e) {
      case Expr.Num n -> new Val.NumV(n.value(), n.isInteger(), n.span());
      case Expr.Str s -> new Val.StrV(s.value(), s.span());
      case Expr.None n -> new Val.NoneV(n.span());
      case Expr.Name n -> {
        Val v = scope.lookup(n.name());
        if (v == null) throw unknownName(n.name(), n.span(), scope, "use");
        yield v;
      }
      case Expr.Neg n -> {
        Val v = eval(n.operand(), scope);
        yield switch (v) {
          case Val.NumV num -> new Val.NumV(-num.value(), num.isInt(), n.span());
          case Val.TensorV t -> builtins.apply(Op.NEG, List.of(t), Map.of(), n.span());
          case Val.ErrorV err -> err;
          default -> throw error(n.span(), "cannot negate " + Val.describe(v));
        };
      }
      case Expr.Binary b -> binary(b, eval(b.left(), scope), eval(b.right(), scope));
      case Expr.ListOf l -> {
        List<Val> items = new ArrayList<>();
        for (Expr item : l.items()) items.add(eval(item, scope));
        yield new Val.ListV(items, l.span());
      }
      case Expr.Call c -> call(c, scope);
    };
  }

  private Val binary(Expr.Binary b, Val l, Val r) {
    if (l instanceof Val.ErrorV) return l;
    if (r instanceof Val.ErrorV) return r;
    if (l instanceof Val.NumV x && r instanceof Val.NumV y && b.op() != '@') {
      Val.NumV result = switch (b.op()) {
        case '+' -> new Val.NumV(x.value() + y.value(), x.isInt() && y.isInt(), b.span());
        case '-' -> new Val.NumV(x.value() - y.value(), x.isInt() && y.isInt(), b.span());
        case '*' -> new Val.NumV(x.value() * y.value(), x.isInt() && y.isInt(), b.span());
        default -> {
          if (y.value() == 0) throw error(b.span(), "division by zero");
          double q = x.value() / y.value();
          yield new Val.NumV(q, x.isInt() && y.isInt() && q == Math.rint(q), b.span());
        }
      };
      if (!Double.isFinite(result.value())) {
        throw error(b.span(), "the result is not a finite number (" + numberText(x) + " " + b.op() + " "
            + numberText(y) + " overflows a double)");
      }
      return result;
    }
    if (b.op() == '@') {
      return builtins.apply(Op.MATMUL, List.of(tensorOperand(l, b, "left"), tensorOperand(r, b, "right")), Map.of(), b.span());
    }
    Op op = switch (b.op()) {
      case '+' -> Op.ADD;
      case '-' -> Op.SUB;
      case '*' -> Op.MUL;
      default -> Op.DIV;
    };
    return builtins.apply(op, List.of(tensorOrConstant(l, b, "left"), tensorOrConstant(r, b, "right")), Map.of(), b.span());
  }

  private static String numberText(Val.NumV n) {
    return n.isInt() ? Val.integerText(n.value()) : Double.toString(n.value());
  }

  private Val.TensorV tensorOperand(Val v, Expr.Binary b, String side) {
    if (v instanceof Val.TensorV t) return t;
    throw error(b.span(), "the " + side + " operand of '" + b.op() + "' must be a tensor, not " + Val.describe(v));
  }

  private Val.TensorV tensorOrConstant(Val v, Expr.Binary b, String side) {
    if (v instanceof Val.TensorV t) return t;
    if (v instanceof Val.NumV n) return constant(n.value(), n.origin());
    throw error(b.span(), "the " + side + " operand of '" + b.op() + "' must be a tensor or a number, not " + Val.describe(v));
  }

  Val.TensorV constant(double value, Span span) {
    return graph.add(Op.CONSTANT, List.of(), Map.of("value", new Attr.Float(value)), span);
  }

  Val.TensorV node(Op op, List<Val.TensorV> operands, Map<String, Attr> attrs, Span span) {
    return graph.add(op, operands, attrs, span);
  }

  private Val call(Expr.Call c, Scope scope) {
    // The standard layers call each other and the built-ins, never a spec's own layer.
    Decl.Layer layer = scopeOf(c.span()).layers().get(c.callee());
    if (layer == null && builtins.has(c.callee())) {
      if (c.scope().isPresent()) {
        throw error(c.scope().get().span(), "'as' names the parameters of a layer call; '" + c.callee()
            + "' is a built-in function with none");
      }
      return builtins.call(c, scope);
    }
    if (layer == null) {
      Set<String> callable = new TreeSet<>(layers.keySet());
      callable.addAll(builtins.names());
      throw error(c.span(), "unknown function '" + c.callee() + "'" + Suggest.didYouMean(c.callee(), callable));
    }
    if (badArguments.contains(layer)) return new Val.ErrorV(c.span());
    if (frames.size() >= MAX_CALL_DEPTH) throw error(c.span(), "layer calls nest more than " + MAX_CALL_DEPTH + " deep; is '" + c.callee() + "' recursive?");
    List<String> formals = layer.args().stream().map(Decl.ArgDecl::name).toList();
    Map<String, Expr> bound = bindArgs(c, "layer '" + layer.name() + "'", formals);
    // Arguments are evaluated in the caller's scope, before entering the layer; the layer's
    // own names (defaults, type patterns, body) see its file's constants: the spec's, or, for a
    // standard layer, none.
    Scope layerGlobals = scopeOf(layer.span()).globals();
    Scope inner = new Scope(layerGlobals);
    Map<String, Val> actuals = new LinkedHashMap<>();
    for (Decl.ArgDecl a : layer.args()) {
      Expr given = bound.get(a.name());
      Val v;
      if (given != null) v = eval(given, scope);
      else if (a.defaultValue().isPresent()) v = eval(a.defaultValue().get(), layerGlobals);
      else throw error(c.span(), "missing argument '" + a.name() + "' in call to layer '" + layer.name() + "'" + signature(layer));
      if (v instanceof Val.ErrorV) return v;
      actuals.put(a.name(), v);
    }
    String prefix = frames.isEmpty() ? "" : frames.get(frames.size() - 1).prefix();
    if (c.scope().isPresent()) {
      String s = interpolate(c.scope().get(), scope);
      prefix = prefix.isEmpty() ? s : prefix + "." + s;
    }
    frames.add(new Frame(layer.name(), prefix, c.span()));
    graph.enter(c.span());
    try {
      for (Decl.ArgDecl a : layer.args()) {
        Val v = actuals.get(a.name());
        inner.vars.put(a.name(), v);
        if (a.type().isPresent()) matchPattern(a, a.type().get(), v, inner, layer, c);
      }
      Val result = runBlock(layer.body(), inner, BlockKind.LAYER, null, null);
      if (result == null) {
        throw error(layer.span(), "layer '" + layer.name() + "' ends without `return`");
      }
      return result;
    } finally {
      graph.leave();
      frames.remove(frames.size() - 1);
    }
  }

  /** The scope of the file {@code span} is in. */
  private FileScope scopeOf(Span span) {
    return span.file() == prelude().file() ? preludeScope : specScope;
  }

  private static String signature(Decl.Layer layer) {
    return " (" + String.join(", ", layer.args().stream().map(Decl.ArgDecl::name).toList()) + ")";
  }

  /** Matches actual arguments to formal names: positional first, then by name; checks arity. */
  Map<String, Expr> bindArgs(Expr.Call c, String what, List<String> formals) {
    Map<String, Expr> bound = new LinkedHashMap<>();
    int positional = 0;
    boolean sawNamed = false;
    for (Expr.Arg a : c.args()) {
      if (a.name().isEmpty()) {
        if (sawNamed) throw error(a.span(), "a positional argument cannot follow named arguments");
        if (positional >= formals.size()) {
          throw error(a.span(), "too many arguments to " + what + ": it takes " + formals.size() + " ("
              + String.join(", ", formals) + "), got " + c.args().size());
        }
        bound.put(formals.get(positional++), a.value());
      } else {
        sawNamed = true;
        String n = a.name().get();
        if (!formals.contains(n)) {
          throw error(a.span(), what + " has no argument '" + n + "'" + Suggest.didYouMean(n, formals)
              + " (it takes " + String.join(", ", formals) + ")");
        }
        if (bound.containsKey(n)) throw error(a.span(), "argument '" + n + "' is given twice");
        bound.put(n, a.value());
      }
    }
    return bound;
  }

  /** Checks a layer argument against its declared type and binds dimension names. */
  private void matchPattern(Decl.ArgDecl formal, TypePattern pattern, Val v, Scope inner, Decl.Layer layer, Expr.Call c) {
    if (!(v instanceof Val.TensorV t)) {
      throw error(c.span(), "argument '" + formal.name() + "' of layer '" + layer.name() + "' must be a tensor, not "
          + Val.describe(v), note(formal.span(), "declared here"));
    }
    if (pattern.dtype().isPresent() && !pattern.dtype().get().equals(t.type().dtype().irName())) {
      throw argMismatch(formal, pattern, t, layer, c, "element type " + t.type().dtype().irName());
    }
    List<TypePattern.DimPattern> dims = pattern.dims();
    boolean rest = !dims.isEmpty() && dims.get(0) instanceof TypePattern.DimPattern.Rest;
    int fixed = rest ? dims.size() - 1 : dims.size();
    if (rest ? t.type().rank() < fixed : t.type().rank() != fixed) {
      throw argMismatch(formal, pattern, t, layer, c, "rank " + t.type().rank());
    }
    int offset = t.type().rank() - fixed;
    for (int i = 0; i < fixed; i++) {
      TypePattern.DimPattern dp = dims.get(rest ? i + 1 : i);
      if (dp instanceof TypePattern.DimPattern.Rest r) throw error(r.span(), "'...' may only come first in a type");
      Expr e = ((TypePattern.DimPattern.Of) dp).expr();
      Dim actual = t.type().dim(offset + i);
      if (e instanceof Expr.Name n && inner.lookup(n.name()) == null) {
        inner.vars.put(n.name(), actual.isKnown() ? new Val.NumV(actual.size(), true, n.span()) : new Val.DimV(actual, n.span()));
        inner.fixed.put(n.name(), "a dimension");
        continue;
      }
      Val want = eval(e, inner);
      boolean ok = switch (want) {
        case Val.NumV num -> actual.isKnown() && num.isWhole() && actual.size() == num.value();
        case Val.DimV d -> d.dim().equals(actual);
        default -> false;
      };
      if (!ok) throw argMismatch(formal, pattern, t, layer, c, "dimension " + actual + " where " + Val.describe(want) + " is required");
    }
  }

  private LowerError argMismatch(Decl.ArgDecl formal, TypePattern p, Val.TensorV t, Decl.Layer layer, Expr.Call c, String what) {
    return error(c.span(), "argument '" + formal.name() + "' of layer '" + layer.name() + "' has type " + t.type()
        + " (" + what + "), which does not match " + patternText(p),
        note(p.span(), "'" + formal.name() + "' is declared here"), note(t.origin(), "the argument comes from here"));
  }

  private static String patternText(TypePattern p) {
    List<String> ds = new ArrayList<>();
    for (TypePattern.DimPattern d : p.dims()) {
      ds.add(d instanceof TypePattern.DimPattern.Of o ? exprText(o.expr()) : "...");
    }
    return p.dtype().orElse("") + "[" + String.join(", ", ds) + "]";
  }

  private static String exprText(Expr e) {
    return switch (e) {
      case Expr.Name n -> n.name();
      case Expr.Num n -> n.text();
      case Expr.Binary b -> exprText(b.left()) + " " + b.op() + " " + exprText(b.right());
      default -> "…";
    };
  }

  /** Replaces {@code {name}} in a scope string by the integer or string value of {@code name}. */
  String interpolate(Expr.Str s, Scope scope) {
    StringBuilder out = new StringBuilder();
    String text = s.value();
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (ch != '{') {
        out.append(ch);
        continue;
      }
      int end = text.indexOf('}', i);
      if (end < 0) throw error(s.span(), "unclosed '{' in name \"" + text + "\"");
      String name = text.substring(i + 1, end).strip();
      Val v = scope.lookup(name);
      if (v == null) throw unknownName(name, s.span(), scope, "interpolate");
      switch (v) {
        case Val.NumV n when n.isWhole() && Math.abs(n.value()) <= Val.MAX_EXACT_INTEGER -> out.append(n.asLong());
        case Val.StrV str -> out.append(str.value());
        default -> throw error(s.span(), "'{" + name + "}' in a name must be an integer or string, not " + Val.describe(v));
      }
      i = end;
    }
    String result = out.toString();
    if (result.isEmpty()) throw error(s.span(), "a parameter prefix cannot be empty");
    return result;
  }

  // ---- helpers shared with Builtins ---------------------------------------------------

  long intValue(Val v, Expr where, String what) {
    // A whole number is an integer however it was computed (7 / 2 * 2, sqrt(16)).
    if (v instanceof Val.NumV n && n.isWhole()) return n.asLong();
    if (v instanceof Val.ErrorV) throw new LowerError(null);
    if (v instanceof Val.DimV d) {
      throw error(where.span(), what + " must be known at compile time, but '" + d.dim() + "' is bound per call");
    }
    throw error(where.span(), what + " must be an integer, not " + Val.describe(v));
  }

  long positiveInt(Val v, Expr where, String what) {
    // Checked before converting to a long, which would saturate beyond ±2^63.
    if (v instanceof Val.NumV num && num.isWhole() && num.value() <= 0) {
      throw error(where.span(), what + " must be positive, got " + Val.integerText(num.value()));
    }
    if (v instanceof Val.NumV num && num.isWhole() && num.value() > Val.MAX_EXACT_INTEGER) {
      throw error(where.span(), what + " " + Val.integerText(num.value()) + " is too large; integers must be at most 2^53");
    }
    long n = intValue(v, where, what); // whole and in (0, 2^53] here
    if (n > Integer.MAX_VALUE) throw error(where.span(), what + " " + n + " exceeds the limit of " + Integer.MAX_VALUE);
    return n;
  }

  LowerError unknownName(String name, Span span, Scope scope, String verb) {
    Set<String> names = scope.allNames();
    String hint = Suggest.didYouMean(name, names);
    if (hint.isEmpty() && (layers.containsKey(name) || builtins.has(name))) hint = "; '" + name + "' is a function: call it with (...)";
    return error(span, "cannot " + verb + " '" + name + "': no such name in scope" + hint);
  }

  static Diagnostic.Note note(Span span, String message) {
    return new Diagnostic.Note(span, message);
  }

  LowerError error(Span span, String message, Diagnostic.Note... notes) {
    List<Diagnostic.Note> all = new ArrayList<>(List.of(notes));
    if (!frames.isEmpty()) {
      Frame f = frames.get(frames.size() - 1);
      if (!f.callSite().equals(span)) all.add(new Diagnostic.Note(f.callSite(), "in layer '" + f.layer() + "' called from here"));
    }
    return new LowerError(new Diagnostic(Diagnostic.Severity.ERROR, span, message, all));
  }

  /** A shape error from the typing rules, located at {@code span}, with a note per operand. */
  LowerError shapeError(ShapeError e, Span span, List<Val.TensorV> operands) {
    List<Diagnostic.Note> notes = new ArrayList<>();
    Set<Span> seen = new HashSet<>();
    for (Val.TensorV t : operands) {
      if (t.origin() != null && seen.add(t.origin()) && !t.origin().equals(span)) {
        notes.add(note(t.origin(), t.type() + " comes from here"));
      }
    }
    return error(span, e.getMessage(), notes.toArray(Diagnostic.Note[]::new));
  }

  private void report(Diagnostic d) {
    if (d == null) return;
    if (reported.add(d.span().where() + "\u0000" + d.message())) diags.add(d);
  }

  private void guarded(Runnable body, Runnable onError) {
    try {
      body.run();
    } catch (LowerError e) {
      report(e.diagnostic);
      onError.run();
    }
  }
}
