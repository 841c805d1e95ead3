def log = new File(basedir, 'build.log').text
assert log.contains("heed: 1 spec compiled")
assert log.contains("heed: target tornadovm: the generated <Model>Tornado classes compile against TornadoVM's API")

def dir = new File(basedir, 'target/generated-sources/heed/heed/models')
def model = new File(dir, 'A.java')
def tornado = new File(dir, 'ATornado.java')
assert model.isFile()
assert tornado.isFile()

// The model class delegates to TornadoVM by name, with no link-time reference to it.
def m = model.text
assert m.contains('Accelerators.load(A.class, "heed.models.ATornado", "A", weights)')
assert !m.contains('uk.ac.manchester.tornado')

// The TornadoVM class: one TaskGraph, weights once, outputs every call, a grid per task.
def t = tornado.text
assert t.contains('public final class ATornado implements AcceleratedModel')
assert t.contains('TaskGraph graph = new TaskGraph(GRAPH);')
assert t.contains('graph.transferToHost(DataTransferMode.EVERY_EXECUTION, ')
assert t.contains('graph.task("model.y", ATornado::softmax, new KernelContext(), ')
assert t.contains('grid.addWorkerGrid("a.model.y", grid1(')

// Only the model is registered for ServiceLoader.
def services = new File(basedir, 'target/generated-resources/heed/META-INF/services/dev.heed.runtime.HeedModelFactory').text
assert services.trim() == 'heed.models.A$Factory'
return true
