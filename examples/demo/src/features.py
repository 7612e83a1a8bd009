"""Feature helpers shared by training and evaluation."""


def features(row):
    return [float(value) for value in row[:-1]]


def label(row):
    return float(row[-1])
