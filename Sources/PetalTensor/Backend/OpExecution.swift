// The steps every oneDNN op shares once its primitive exists: read each input tensor in the layout the primitive
// takes, make each output in the layout it chose, execute, and wrap the outputs as tensors. An op then holds only
// what is its own: the key, the descriptor, and the backward rule (see CONTRIBUTING.md's new-op checklist).
import CDNNL

extension Primitive {
    /// The layout the primitive takes or gives for the execution argument `arg` (``Arg``).
    func layout(of arg: Int32) -> MemoryDesc {
        MemoryDesc(raw: dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg)!.pointee)
    }

    /// Executes with each input tensor read in the layout the primitive takes for its argument (converted once and
    /// kept by the tensor), `memories` passed as they are, and fresh outputs for `outputs`; returns those outputs.
    func run(reading inputs: [(Int32, Tensor)], _ memories: [(Int32, Memory)] = [], writing outputs: [Int32]) -> [Memory] {
        let made = outputs.map { Memory(desc: layout(of: $0)) }
        execute(inputs.map { ($0.0, $0.1.storage.memory(layout(of: $0.0))) } + memories + zip(outputs, made).map { ($0, $1) })
        return made
    }
}

extension Tensor {
    /// A tensor of `shape` whose only copy is `memory` (a primitive's output, in the layout it chose).
    init(shape: [Int], wrapping memory: Memory) {
        self.init(shape: shape, storage: Storage(memory: memory, count: shape.reduce(1, *)))
    }
}
