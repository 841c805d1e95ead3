package dev.heed.compiler.onnx;

import com.google.protobuf.ByteString;
import dev.heed.compiler.onnx.proto.GraphProto;
import dev.heed.compiler.onnx.proto.ModelProto;
import dev.heed.compiler.onnx.proto.NodeProto;
import dev.heed.compiler.onnx.proto.OperatorSetIdProto;
import dev.heed.compiler.onnx.proto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Small ONNX models for tests, laid out as torch.onnx.export lays out nn.Linear: an
 * anonymous initializer {@code onnx::MatMul_N} holding Wᵀ ([in, out]) feeds a MatMul whose
 * output is added to the named bias.
 */
final class TinyOnnx {
  private TinyOnnx() {}

  /** The Linear weight W of "fc" as PyTorch holds it: [out = 2, in = 3]. */
  static final float[] FC_WEIGHT = {1, 2, 3, 4, 5, 6};
  /** Its stored transpose Wᵀ, [in = 3, out = 2]. */
  static final float[] FC_WEIGHT_T = {1, 4, 2, 5, 3, 6};
  static final float[] FC_BIAS = {0.5f, -0.5f};
  /** proj's weight as PyTorch holds it: [out = 3, in = 2]; proj has no bias. */
  static final float[] PROJ_WEIGHT = {7, 8, 9, 10, 11, 12};
  static final float[] PROJ_WEIGHT_T = {7, 9, 11, 8, 10, 12};
  static final float[] EXTRA = {1, 2, 3, 4};

  /**
   * y = proj(fc(x)): fc's weight is recovered from its bias, proj's (no bias) from the MatMul
   * node's name; plus an unused f32 tensor "extra.weight" and an int64 "position_ids".
   */
  static ModelProto model() {
    GraphProto.Builder g = GraphProto.newBuilder().setName("tiny")
        .addInitializer(rawFloats("onnx::MatMul_7", FC_WEIGHT_T, 3, 2))
        .addInitializer(floatData("fc.bias", FC_BIAS, 2))
        .addInitializer(rawFloats("onnx::MatMul_9", PROJ_WEIGHT_T, 2, 3))
        .addInitializer(rawFloats("extra.weight", EXTRA, 2, 2))
        .addInitializer(TensorProto.newBuilder().setName("position_ids").setDataType(TensorProto.DataType.INT64_VALUE)
            .addDims(1).addDims(4).addInt64Data(0).addInt64Data(1).addInt64Data(2).addInt64Data(3))
        .addNode(node("MatMul", "/fc/MatMul", new String[] {"x", "onnx::MatMul_7"}, "/fc/MatMul_output_0"))
        // bias first, as torch exports it
        .addNode(node("Add", "/fc/Add", new String[] {"fc.bias", "/fc/MatMul_output_0"}, "/fc/Add_output_0"))
        .addNode(node("MatMul", "/proj/MatMul", new String[] {"/fc/Add_output_0", "onnx::MatMul_9"}, "y"));
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g).build();
  }

  static NodeProto node(String op, String name, String[] inputs, String output) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
    for (String i : inputs) n.addInput(i);
    return n.build();
  }

  static TensorProto rawFloats(String name, float[] data, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : data) b.putFloat(f);
    b.flip();
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setRawData(ByteString.copyFrom(b));
    for (long d : dims) t.addDims(d);
    return t.build();
  }

  static TensorProto floatData(String name, float[] data, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
    for (float f : data) t.addFloatData(f);
    for (long d : dims) t.addDims(d);
    return t.build();
  }
}
