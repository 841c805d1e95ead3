package dev.heed.compiler.ir;

import dev.heed.runtime.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads IR text as written by {@link IrPrinter} (see there for the syntax) into a {@link Graph}.
 * It checks syntax only (op and element-type names included); whether the graph makes sense is
 * the {@link Verifier}'s business. A node without {@code : type} gets a null type.
 */
public final class IrParser {

  private enum Kind { WORD, VALUE, STRING, NUMBER, PUNCT, EOF }

  /** A token and where it starts. For VALUE the text is the name without {@code %}; for STRING, unescaped. */
  private record Token(Kind kind, String text, int line, int col) {
    boolean is(String punctOrWord) { return (kind == Kind.PUNCT || kind == Kind.WORD) && text.equals(punctOrWord); }

    String describe() {
      return switch (kind) {
        case EOF -> "end of input";
        case VALUE -> "'%" + text + "'";
        case STRING -> "string " + IrPrinter.quote(text);
        default -> "'" + text + "'";
      };
    }
  }

  private final String sourceName;
  private final List<Token> tokens;
  private int pos;

  private IrParser(String text, String sourceName) {
    this.sourceName = sourceName;
    this.tokens = new Lexer(text, sourceName).lex();
  }

  /** Parses one graph; throws {@link IrParseException} located at the first problem. */
  public static Graph parse(String text, String sourceName) {
    return new IrParser(text, sourceName).graph();
  }

  // ---- grammar ---------------------------------------------------------------------

  // graph := 'graph' name '{' (node | output)* '}'
  private Graph graph() {
    expectWord("graph");
    String name = name("a graph name");
    expect("{");
    List<Node> nodes = new ArrayList<>();
    List<Graph.Output> outputs = new ArrayList<>();
    while (!peek().is("}")) {
      Token t = peek();
      if (t.kind() == Kind.VALUE) {
        nodes.add(node());
      } else if (t.is("output")) {
        next();
        String outName = name("an output name");
        expect("=");
        outputs.add(new Graph.Output(outName, value()));
      } else {
        throw error(t, "expected a node ('%name = op ...'), 'output' or '}', found " + t.describe());
      }
    }
    next();
    Token end = peek();
    if (end.kind() != Kind.EOF) throw error(end, "expected end of input after the graph's '}', found " + end.describe());
    return new Graph(name, nodes, outputs);
  }

  // node := VALUE '=' op ['(' operands ')'] ['{' attrs '}'] [':' type] ['loc' '(' place {',' place} ')']
  private Node node() {
    String name = value();
    expect("=");
    Token opTok = next();
    if (opTok.kind() != Kind.WORD) throw error(opTok, "expected an op name, found " + opTok.describe());
    Op op = Op.fromIrName(opTok.text());
    if (op == null) throw error(opTok, "unknown op '" + opTok.text() + "'");

    List<String> operands = new ArrayList<>();
    if (peek().is("(")) {
      next();
      if (!peek().is(")")) {
        operands.add(value());
        while (peek().is(",")) {
          next();
          operands.add(value());
        }
      }
      expect(")");
    }

    Map<String, Attr> attrs = new TreeMap<>();
    if (peek().is("{")) {
      next();
      if (!peek().is("}")) {
        attr(attrs);
        while (peek().is(",")) {
          next();
          attr(attrs);
        }
      }
      expect("}");
    }

    TensorType type = null;
    if (peek().is(":")) {
      next();
      type = type();
    }

    Loc loc = Loc.UNKNOWN;
    if (peek().is("loc")) {
      next();
      expect("(");
      List<Loc> places = new ArrayList<>();
      places.add(place());
      while (peek().is(",")) {
        next();
        places.add(place());
      }
      expect(")");
      Loc first = places.get(0);
      loc = new Loc(first.file(), first.line(), first.col(), first.calledFrom(), places.subList(1, places.size()));
    }
    return new Node(name, op, operands, attrs, type, loc);
  }

  // place := site {'from' site}
  private Loc place() {
    List<Loc> chain = new ArrayList<>();
    chain.add(site());
    while (peek().is("from")) {
      next();
      chain.add(site());
    }
    Loc loc = null;
    for (int i = chain.size() - 1; i >= 0; i--) {
      Loc l = chain.get(i);
      loc = new Loc(l.file(), l.line(), l.col(), loc);
    }
    return loc;
  }

  // site := STRING ':' INT ':' INT
  private Loc site() {
    Token file = next();
    if (file.kind() != Kind.STRING) throw error(file, "expected a quoted file name in loc(...), found " + file.describe());
    expect(":");
    int line = (int) nonNegativeInt("a line number", Integer.MAX_VALUE);
    expect(":");
    int col = (int) nonNegativeInt("a column number", Integer.MAX_VALUE);
    return new Loc(file.text(), line, col);
  }

  private void attr(Map<String, Attr> attrs) {
    Token keyTok = peek();
    String key = name("an attribute name");
    expect("=");
    Attr value = attrValue();
    if (attrs.put(key, value) != null) throw error(keyTok, "attribute '" + key + "' is given twice");
  }

  private Attr attrValue() {
    Token t = peek();
    switch (t.kind()) {
      case NUMBER -> {
        next();
        return isFloat(t.text()) ? new Attr.Float(Double.parseDouble(t.text())) : new Attr.Int(parseLong(t));
      }
      case STRING -> {
        next();
        return new Attr.Str(t.text());
      }
      case WORD -> {
        if (t.text().equals("Infinity") || t.text().equals("NaN")) {
          next();
          return new Attr.Float(Double.parseDouble(t.text()));
        }
        if (t.text().equals("dims") && peekAt(1).is("[")) {
          next();
          return new Attr.Dims(dimList());
        }
      }
      case PUNCT -> {
        if (t.is("[")) return list();
      }
      default -> {}
    }
    throw error(t, "expected an attribute value (3, 1.0E-5, \"text\", [0, 1] or dims[batch, 4]), found " + t.describe());
  }

  /** {@code [0, 2, 1]} is Ints; a list holding a symbol, {@code [batch, 4]}, is Dims. */
  private Attr list() {
    expect("[");
    List<Token> items = new ArrayList<>();
    if (!peek().is("]")) {
      items.add(listItem());
      while (peek().is(",")) {
        next();
        items.add(listItem());
      }
    }
    expect("]");
    boolean isDims = items.stream().anyMatch(t -> t.kind() == Kind.WORD);
    if (!isDims) return new Attr.Ints(items.stream().map(this::parseLong).toList());
    List<Dim> dims = new ArrayList<>();
    for (Token t : items) {
      if (t.kind() == Kind.WORD) dims.add(Dim.sym(t.text()));
      else if (t.text().startsWith("-")) throw error(t, "a shape cannot hold the negative size " + t.text());
      else dims.add(Dim.of(parseLong(t)));
    }
    return new Attr.Dims(dims);
  }

  private Token listItem() {
    Token t = next();
    boolean ok = t.kind() == Kind.WORD || (t.kind() == Kind.NUMBER && !isFloat(t.text()));
    if (!ok) throw error(t, "expected an integer or a dimension symbol in a list, found " + t.describe());
    return t;
  }

  // type := dtype '[' dims ']'
  private TensorType type() {
    Token t = next();
    if (t.kind() != Kind.WORD) throw error(t, "expected a type such as f32[batch, 64], found " + t.describe());
    DType dtype;
    try {
      dtype = DType.fromIrName(t.text());
    } catch (IllegalArgumentException e) {
      throw error(t, e.getMessage());
    }
    return new TensorType(dtype, dimList());
  }

  // dims := '[' [dim (',' dim)*] ']' ; dim := INT | WORD
  private List<Dim> dimList() {
    expect("[");
    List<Dim> dims = new ArrayList<>();
    if (!peek().is("]")) {
      dims.add(dim());
      while (peek().is(",")) {
        next();
        dims.add(dim());
      }
    }
    expect("]");
    return dims;
  }

  private Dim dim() {
    Token t = peek();
    if (t.kind() == Kind.WORD) {
      next();
      return Dim.sym(t.text());
    }
    if (t.kind() == Kind.NUMBER && !t.text().startsWith("-") && !isFloat(t.text())) {
      next();
      return Dim.of(parseLong(t));
    }
    throw error(t, "expected a dimension (a size such as 64 or a symbol such as batch), found " + t.describe());
  }

  private long nonNegativeInt(String what, long max) {
    Token t = next();
    if (t.kind() != Kind.NUMBER || isFloat(t.text()) || t.text().startsWith("-")) {
      throw error(t, "expected " + what + ", found " + t.describe());
    }
    long v = parseLong(t);
    if (v > max) throw error(t, what + " " + v + " is too large");
    return v;
  }

  private String value() {
    Token t = next();
    if (t.kind() != Kind.VALUE) throw error(t, "expected a value name such as %x, found " + t.describe());
    return t.text();
  }

  private String name(String what) {
    Token t = next();
    if (t.kind() != Kind.WORD && t.kind() != Kind.STRING) throw error(t, "expected " + what + ", found " + t.describe());
    return t.text();
  }

  private void expect(String punct) {
    Token t = next();
    if (!t.is(punct) || t.kind() != Kind.PUNCT) throw error(t, "expected '" + punct + "', found " + t.describe());
  }

  private void expectWord(String word) {
    Token t = next();
    if (t.kind() != Kind.WORD || !t.text().equals(word)) throw error(t, "expected '" + word + "', found " + t.describe());
  }

  private static boolean isFloat(String number) {
    return number.contains(".") || number.contains("e") || number.contains("E") || number.endsWith("Infinity");
  }

  private long parseLong(Token t) {
    try {
      return Long.parseLong(t.text());
    } catch (NumberFormatException e) {
      throw error(t, "integer " + t.text() + " is out of range");
    }
  }

  private Token peek() { return tokens.get(pos); }

  private Token peekAt(int ahead) { return tokens.get(Math.min(pos + ahead, tokens.size() - 1)); }

  private Token next() {
    Token t = tokens.get(pos);
    if (t.kind() != Kind.EOF) pos++;
    return t;
  }

  private IrParseException error(Token t, String message) {
    return new IrParseException(sourceName, t.line(), t.col(), message);
  }

  // ---- lexer -------------------------------------------------------------------------

  private static final class Lexer {
    private final String s;
    private final String sourceName;
    private int i;
    private int line = 1;
    private int lineStart;

    Lexer(String s, String sourceName) {
      this.s = s;
      this.sourceName = sourceName;
    }

    List<Token> lex() {
      List<Token> out = new ArrayList<>();
      while (true) {
        skipSpaceAndComments();
        int col = i - lineStart + 1;
        if (i >= s.length()) {
          out.add(new Token(Kind.EOF, "", line, col));
          return out;
        }
        char c = s.charAt(i);
        if (c == '%') {
          int start = ++i;
          while (i < s.length() && isValueChar(s.charAt(i))) i++;
          if (i == start) throw new IrParseException(sourceName, line, col, "expected a value name after '%'");
          out.add(new Token(Kind.VALUE, s.substring(start, i), line, col));
        } else if (c == '"') {
          out.add(new Token(Kind.STRING, string(col), line, col));
        } else if (isDigit(c) || (c == '-' && i + 1 < s.length() && (isDigit(s.charAt(i + 1)) || s.startsWith("Infinity", i + 1)))) {
          out.add(new Token(Kind.NUMBER, number(col), line, col));
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_') {
          int start = i;
          while (i < s.length() && isValueChar(s.charAt(i))) i++;
          out.add(new Token(Kind.WORD, s.substring(start, i), line, col));
        } else if ("{}()[]=,:".indexOf(c) >= 0) {
          i++;
          out.add(new Token(Kind.PUNCT, String.valueOf(c), line, col));
        } else {
          throw new IrParseException(sourceName, line, col, "unexpected character '" + c + "'");
        }
      }
    }

    private void skipSpaceAndComments() {
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == '\n') {
          i++;
          line++;
          lineStart = i;
        } else if (c == ' ' || c == '\t' || c == '\r') {
          i++;
        } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '/') {
          while (i < s.length() && s.charAt(i) != '\n') i++;
        } else {
          return;
        }
      }
    }

    // -?digits(.digits)?([eE][+-]?digits)? or -Infinity
    private String number(int col) {
      int start = i;
      if (s.charAt(i) == '-') i++;
      if (s.startsWith("Infinity", i)) {
        i += "Infinity".length();
      } else {
        digits(col);
        if (i < s.length() && s.charAt(i) == '.') {
          i++;
          digits(col);
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
          i++;
          if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
          digits(col);
        }
      }
      if (i < s.length() && isValueChar(s.charAt(i))) {
        throw new IrParseException(sourceName, line, col, "malformed number '" + s.substring(start, i + 1) + "'");
      }
      return s.substring(start, i);
    }

    private void digits(int col) {
      int start = i;
      while (i < s.length() && isDigit(s.charAt(i))) i++;
      if (i == start) throw new IrParseException(sourceName, line, col, "malformed number: expected a digit at column " + (i - lineStart + 1));
    }

    private String string(int col) {
      StringBuilder sb = new StringBuilder();
      i++; // opening quote
      while (true) {
        if (i >= s.length() || s.charAt(i) == '\n') {
          throw new IrParseException(sourceName, line, col, "unterminated string");
        }
        char c = s.charAt(i++);
        if (c == '"') return sb.toString();
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        int escCol = i - lineStart;
        if (i >= s.length()) throw new IrParseException(sourceName, line, col, "unterminated string");
        char e = s.charAt(i++);
        switch (e) {
          case '"' -> sb.append('"');
          case '\\' -> sb.append('\\');
          case '/' -> sb.append('/');
          case 'n' -> sb.append('\n');
          case 't' -> sb.append('\t');
          case 'r' -> sb.append('\r');
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'u' -> {
            String hex = s.substring(i, Math.min(i + 4, s.length()));
            if (!hex.matches("[0-9A-Fa-f]{4}")) {
              throw new IrParseException(sourceName, line, escCol, "\\u needs four hex digits, got '" + hex + "'");
            }
            sb.append((char) Integer.parseInt(hex, 16));
            i += 4;
          }
          default -> throw new IrParseException(sourceName, line, escCol, "unknown escape '\\" + e + "' in string");
        }
      }
    }

    private static boolean isDigit(char c) { return c >= '0' && c <= '9'; }

    private static boolean isValueChar(char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || isDigit(c) || c == '_' || c == '.';
    }
  }
}
