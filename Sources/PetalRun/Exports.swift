// `import PetalRun` brings the layers a run is made of.
@_exported import PetalData
@_exported import PetalNN
@_exported import PetalReport
@_exported import PetalTrain
