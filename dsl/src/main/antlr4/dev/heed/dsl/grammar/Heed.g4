// The heed model-spec language.
//
// A spec is a list of constants, layer definitions and one model. A layer is a
// function over tensors that may declare learned parameters; calling it with
// `as "prefix"` names those parameters in the checkpoint. A `for` loop unrolls
// a stack of layers, and `{i}` in a prefix names each layer's parameters.
//
//   const d_model = 64;
//   layer Block(x: f32[batch, seq, d], heads) { ... return y; }
//   model Encoder {
//     input ids: i64[batch, seq];
//     param embed: [vocab, d_model] = "embeddings.weight";
//     let x = embedding(ids, embed);
//     for i in 0..layers { x = Block(x, heads) as "layer.{i}"; }
//     output hidden = x;
//   }
grammar Heed;

spec      : decl* EOF ;

decl      : constDecl
          | layerDecl
          | modelDecl
          ;

constDecl : CONST name=ID '=' expr ';' ;

layerDecl : LAYER name=ID '(' (argDecl (',' argDecl)*)? ')' block ;

// `x: f32[batch, seq, d]` checks the argument's type and binds new dimension names;
// `= expr` gives a default value.
argDecl   : name=ID (':' typePattern)? ('=' expr)? ;

modelDecl : MODEL name=ID block ;

block     : '{' stmt* '}' ;

stmt      : INPUT name=ID ':' typePattern ';'                                # inputStmt
          | PARAM name=ID ':' shape ('=' ckpt=STRING)? (INIT init=ID)? ';'   # paramStmt
          | LET name=ID '=' expr ';'                                         # letStmt
          | name=ID '=' expr ';'                                             # assignStmt
          | FOR var=ID IN from=expr '..' to=expr block                       # forStmt
          | RETURN expr ';'                                                  # returnStmt
          | OUTPUT name=ID '=' expr ';'                                      # outputStmt
          ;

// `f32[batch, seq, 64]`, `[..., d]`; the element type may be left out.
typePattern : (dtype=ID)? shape ;

shape     : '[' (dim (',' dim)*)? ']' ;

dim       : ELLIPSIS                                                         # restDim
          | expr                                                             # exprDim
          ;

expr      : '(' expr ')'                                                     # parenExpr
          | callee=ID '(' (arg (',' arg)*)? ')' (AS scope=STRING)?           # callExpr
          | '-' expr                                                         # negExpr
          | expr op=('*' | '/' | '@') expr                                   # mulExpr
          | expr op=('+' | '-') expr                                         # addExpr
          | '[' (expr (',' expr)*)? ']'                                      # listExpr
          | NUMBER                                                           # numberExpr
          | STRING                                                           # stringExpr
          | NONE                                                             # noneExpr
          | ID                                                               # nameExpr
          ;

arg       : (name=ID '=')? expr ;

CONST     : 'const' ;
LAYER     : 'layer' ;
MODEL     : 'model' ;
INPUT     : 'input' ;
PARAM     : 'param' ;
LET       : 'let' ;
FOR       : 'for' ;
IN        : 'in' ;
RETURN    : 'return' ;
OUTPUT    : 'output' ;
AS        : 'as' ;
INIT      : 'init' ;
NONE      : 'none' ;

// Punctuation gets names so that tools (the error reporter) can refer to it; the parser
// rules above still spell it as literals.
SEMI      : ';' ;
COMMA     : ',' ;
COLON     : ':' ;
ASSIGN    : '=' ;
LPAREN    : '(' ;
RPAREN    : ')' ;
LBRACE    : '{' ;
RBRACE    : '}' ;
LBRACK    : '[' ;
RBRACK    : ']' ;
PLUS      : '+' ;
MINUS     : '-' ;
STAR      : '*' ;
SLASH     : '/' ;
AT        : '@' ;
RANGE     : '..' ;
ELLIPSIS  : '...' ;

NUMBER    : DIGITS ('.' DIGITS)? ([eE] [+-]? DIGITS)? ;
// Any backslash escape is lexed; the AST builder reports the ones that are not \" \\ \n \r \t.
STRING    : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"' ;
ID        : [a-zA-Z_] [a-zA-Z_0-9]* ;

LINE_COMMENT  : '//' ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN) ;
WS            : [ \t\r\n]+ -> channel(HIDDEN) ;

// Malformed tokens. Each matches more than the correct rules only where the text is broken
// (ties go to the correct rule, defined first), so none steals a valid token. SpecParser
// reports them with their location and hands the parser a well-formed stand-in, so one
// typo gives one error.
BAD_NUMBER           : DIGITS ('.' DIGITS)?                            // `1e`, `2.5e+`, `12abc`
                       ([eE] [+-]? | ([eE] [+-]? DIGITS)? [a-zA-Z_] [a-zA-Z_0-9]*) ;
UNTERMINATED_STRING  : '"' (~["\\\r\n] | '\\' ~[\r\n])* '\\'? ;      // no closing quote on the line
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* ;                // `/*` with no `*/`

// Anything else is reported as an unexpected character, with its location.
ERROR_CHAR    : . ;

fragment DIGITS : [0-9]+ ;
