// What `import PetalImage` brings with it: the layers its public API is written in.
@_exported import PetalRandom
@_exported import PetalFiles
