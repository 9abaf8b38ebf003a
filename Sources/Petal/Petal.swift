// `import Petal` brings in the whole toolkit: tensors, images, data sets, models, training and reports.
@_exported import PetalData
@_exported import PetalImage
@_exported import PetalNN
@_exported import PetalONNX
@_exported import PetalReport
@_exported import PetalRun
@_exported import PetalTensor
@_exported import PetalTensorBoard
@_exported import PetalTrain
