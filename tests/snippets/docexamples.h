#pragma once

// The test objects that run the documentation's examples, one per snippets_*.cpp file.
class QObject;

QObject *makeStartExamples();
QObject *makeTaskExamples();
QObject *makeTestingExamples();
QObject *makePythonExamples();
QObject *makeFaqExamples();
QObject *makeDesktopExamples();
QObject *makeSupervisionExamples();
QObject *makeHealthExamples();
QObject *makeObservabilityExamples();
