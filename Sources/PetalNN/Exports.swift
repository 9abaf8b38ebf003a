// What `import PetalNN` brings with it: the layers its public API is written in.
@_exported import PetalTensor
