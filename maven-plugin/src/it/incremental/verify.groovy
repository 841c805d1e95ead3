// The four builds' heed summaries, in order, and the files the last ones left.
def log = new File(basedir, 'build.log').text
def summaries = log.readLines().findAll { it.contains('] heed: ') && it.contains(' specs changed') }
                              .collect { it.substring(it.indexOf('heed: ')) }
assert summaries == [
    'heed: 2 of 2 specs changed, generating',
    'heed: 0 of 2 specs changed, nothing to generate',
    'heed: 0 of 1 specs changed, 1 removed',
    'heed: 0 of 1 specs changed, compiling all 1 for their IR',
] : summaries.join('\n')

def out = new File(basedir, 'target/generated-sources/heed/com/example/incremental')
def modelA = new File(out, 'ModelA.java')
assert modelA.isFile()
assert !new File(out, 'ModelB.java').exists()
def services = new File(basedir, 'target/generated-resources/heed/META-INF/services/dev.heed.runtime.HeedModelFactory')
assert services.text == 'com.example.incremental.ModelA$Factory\n'
// ModelA.java was written by build 1 only: builds 3 and 4 rewrote the services file and the state, not it.
assert modelA.lastModified() < services.lastModified()
def state = new File(basedir, 'target/heed-maven-plugin/default/state.json')
assert state.text.contains('"a.heed"') && !state.text.contains('"b.heed"')
assert modelA.lastModified() < state.lastModified()

// Build 4's IR: printed after dce, dumped before and after every pass.
assert log.contains('// ----- IR after dce -----')
assert new File(basedir, 'target/heed-ir/a/00_input.ir').isFile()
assert new File(basedir, 'target/heed-ir/a').list().any { it ==~ /\d\d_dce\.ir/ }
return true
