import java.nio.file.Files
import java.nio.file.Path

// Every file the first execution wrote, the second wrote too, with the same bytes.
Path base = basedir.toPath().resolve("target")
Path first = base.resolve("gen-first"), second = base.resolve("gen-second")
def files = { Path root -> Files.walk(root).filter { Files.isRegularFile(it) }.collect { root.relativize(it).toString() }.sort() }
def a = files(first), b = files(second)
assert !a.isEmpty() : "the first execution generated nothing"
assert a.any { it.endsWith(".java") } : "no Java generated: " + a
assert a == b : "different file lists: " + a + " vs " + b
a.each { rel ->
  assert Arrays.equals(Files.readAllBytes(first.resolve(rel)), Files.readAllBytes(second.resolve(rel))) : rel + " differs"
}
return true
