// Both errors of t.heed, each with its line and column, the source line and a caret, in the
// build's error output and in the failure message; the correct spec beside it is generated.
def log = new File(basedir, 'build.log').text
def spec = new File(basedir, 'src/main/heed/t.heed').toPath().toAbsolutePath().normalize()

assert log.contains('BUILD FAILURE')
assert log.contains("[ERROR] ${spec}:9:21: error: cannot use 'w_z': no such name in scope; did you mean 'w_q'?")
assert log.contains("[ERROR] ${spec}:10:48: error: cannot use 'dd': no such name in scope; did you mean 'd'?")
assert log =~ /t\.heed:9:21: error:/
assert log =~ /t\.heed:10:48: error:/
assert log.contains('      let q = linear(x, w_z);\n                        ^~~')
assert log =~ /heed: 2 errors in 1 of 2 specs:/

assert new File(basedir, 'target/generated-sources/heed/heed/models/Fine.java').isFile()
assert !new File(basedir, 'target/generated-sources/heed/heed/models/Broken.java').exists()
return true
