package dev.heed.maven;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the last successful generation produced, kept in a JSON file under {@code target/} so
 * that the next build regenerates only what changed and deletes what is stale.
 *
 * <pre>
 * {
 *   "format" : 1,
 *   "heed" : "sha256 of heed's version and jars",
 *   "target" : "jvm",
 *   "outputDirectory" : "/abs/target/generated-sources/heed",
 *   "resourceOutputDirectory" : "/abs/target/generated-resources/heed",
 *   "specs" : {
 *     "com/example/tiny.heed" : {
 *       "sha256" : "...", "package" : "com.example",
 *       "outputs" : { "com/example/Tiny.java" : "sha256 of the file" },
 *       "services" : [ "com.example.Tiny$Factory" ]
 *     }
 *   }
 * }
 * </pre>
 *
 * @param heed digest of the heed that generated the outputs
 * @param target the code generator used
 * @param outputDirectory absolute folder the Java outputs are relative to
 * @param resourceOutputDirectory absolute folder the services file is in
 * @param specs by spec path relative to the source folder, sorted
 */
record GenerationState(String heed, String target, String outputDirectory, String resourceOutputDirectory,
    Map<String, SpecState> specs) {
  /** Bumped whenever the layout changes; a file of another format is ignored. */
  static final int FORMAT = 1;

  private static final JsonFactory JSON = new JsonFactory();

  GenerationState {
    specs = Collections.unmodifiableMap(new TreeMap<>(specs));
  }

  /**
   * What one spec produced.
   *
   * @param sha256 digest of the spec's bytes
   * @param javaPackage the package its classes were generated in
   * @param outputs generated file (relative to the output folder, with {@code /}) → digest of its content
   * @param services its lines of the services file
   */
  record SpecState(String sha256, String javaPackage, Map<String, String> outputs, List<String> services) {
    SpecState {
      outputs = Collections.unmodifiableMap(new TreeMap<>(outputs));
      services = List.copyOf(services);
    }
  }

  /** No previous generation. */
  static GenerationState empty() {
    return new GenerationState("", "", "", "", Map.of());
  }

  /** This state with {@code specs} instead of its own. */
  GenerationState withSpecs(Map<String, SpecState> newSpecs) {
    return new GenerationState(heed, target, outputDirectory, resourceOutputDirectory, newSpecs);
  }

  /**
   * Reads the state in {@code file}.
   *
   * @return null if the file does not exist, is not valid JSON or is of another format
   */
  static GenerationState read(Path file) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    }
    try (JsonParser p = JSON.createParser(bytes)) {
      return parse(p);
    } catch (JsonProcessingException | IllegalStateException e) {
      return null;
    }
  }

  private static GenerationState parse(JsonParser p) throws IOException {
    expect(p.nextToken(), JsonToken.START_OBJECT);
    int format = -1;
    String heed = null, target = null, out = null, res = null;
    Map<String, SpecState> specs = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "format" -> format = value == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : -1;
        case "heed" -> heed = text(p, value);
        case "target" -> target = text(p, value);
        case "outputDirectory" -> out = text(p, value);
        case "resourceOutputDirectory" -> res = text(p, value);
        case "specs" -> specs = parseSpecs(p, value);
        default -> p.skipChildren();
      }
    }
    if (format != FORMAT || heed == null || target == null || out == null || res == null || specs == null) return null;
    return new GenerationState(heed, target, out, res, specs);
  }

  private static Map<String, SpecState> parseSpecs(JsonParser p, JsonToken start) throws IOException {
    expect(start, JsonToken.START_OBJECT);
    Map<String, SpecState> specs = new TreeMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String spec = p.currentName();
      expect(p.nextToken(), JsonToken.START_OBJECT);
      String sha = null, pkg = null;
      Map<String, String> outputs = new TreeMap<>();
      List<String> services = new ArrayList<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "sha256" -> sha = text(p, value);
          case "package" -> pkg = text(p, value);
          case "outputs" -> {
            expect(value, JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String name = p.currentName();
              outputs.put(name, text(p, p.nextToken()));
            }
          }
          case "services" -> {
            expect(value, JsonToken.START_ARRAY);
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) services.add(text(p, t));
          }
          default -> p.skipChildren();
        }
      }
      if (sha == null || pkg == null) throw new IllegalStateException("spec " + spec + " lacks sha256 or package");
      specs.put(spec, new SpecState(sha, pkg, outputs, services));
    }
    return specs;
  }

  private static String text(JsonParser p, JsonToken t) throws IOException {
    expect(t, JsonToken.VALUE_STRING);
    return p.getText();
  }

  private static void expect(JsonToken got, JsonToken want) {
    if (got != want) throw new IllegalStateException("expected " + want + ", found " + got);
  }

  /** This state as pretty-printed JSON (UTF-8), keys in a stable order. */
  byte[] toJson() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(bytes)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeNumberField("format", FORMAT);
      g.writeStringField("heed", heed);
      g.writeStringField("target", target);
      g.writeStringField("outputDirectory", outputDirectory);
      g.writeStringField("resourceOutputDirectory", resourceOutputDirectory);
      g.writeObjectFieldStart("specs");
      for (Map.Entry<String, SpecState> e : specs.entrySet()) {
        SpecState s = e.getValue();
        g.writeObjectFieldStart(e.getKey());
        g.writeStringField("sha256", s.sha256());
        g.writeStringField("package", s.javaPackage());
        g.writeObjectFieldStart("outputs");
        for (Map.Entry<String, String> o : s.outputs().entrySet()) g.writeStringField(o.getKey(), o.getValue());
        g.writeEndObject();
        g.writeArrayFieldStart("services");
        for (String line : s.services()) g.writeString(line);
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndObject();
      g.writeEndObject();
    }
    bytes.write('\n');
    return bytes.toByteArray();
  }

  /** Writes this state to {@code file} atomically. */
  void write(Path file) throws IOException {
    OutputFiles.write(file, toJson());
  }
}
