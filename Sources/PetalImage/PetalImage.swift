// PetalImage: the image toolkit (codecs, channels, thresholding, morphology, normalisation, geometry).
