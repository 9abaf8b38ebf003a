// What `import PetalData` brings with it: the layers its public API is written in.
@_exported import PetalImage
@_exported import PetalTensor
