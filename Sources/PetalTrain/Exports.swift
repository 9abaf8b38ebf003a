// What `import PetalTrain` brings with it: the layers its public API is written in.
@_exported import PetalData
@_exported import PetalImage
@_exported import PetalNN
