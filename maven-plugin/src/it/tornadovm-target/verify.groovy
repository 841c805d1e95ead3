def log = new File(basedir, 'build.log').text
assert log.contains("heed: target 'tornadovm' is not supported yet (supported: jvm)")
assert !new File(basedir, 'target/generated-sources/heed').exists()
return true
