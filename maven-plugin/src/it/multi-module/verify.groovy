// models generated and packaged its model and services file; app, without the plugin, used them.
import java.util.jar.JarFile

def log = new File(basedir, 'build.log').text
assert log.contains('heed: 1 of 1 specs changed, generating')
assert !log.contains('not marked as @threadSafe') : 'the plugin must be thread-safe'
assert log.contains('Tests run: 1, Failures: 0, Errors: 0, Skipped: 0')

def jar = new JarFile(new File(basedir, 'models/target/models-1.0.jar'))
try {
  assert jar.getEntry('com/example/models/Encoder.class') != null
  assert jar.getInputStream(jar.getEntry('META-INF/services/dev.heed.runtime.HeedModelFactory')).text ==
      'com.example.models.Encoder$Factory\n'
} finally {
  jar.close()
}
assert !new File(basedir, 'app/target/generated-sources/heed').exists()
assert !new File(basedir, 'target/generated-sources/heed').exists()
return true
