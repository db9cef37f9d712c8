#pragma once

#include <QLifecycle/ServiceManager>
#include <QLifecycle/TraceRecorder>

#include <QtCore/QDateTime>
#include <QtCore/QDir>
#include <QtCore/QObject>
#include <QtCore/QStandardPaths>
#include <QtQml/qqmlregistration.h>

#include <cstdio>

// "Save trace" (docs/observability.md): a TraceRecorder follows the manager from before its
// start, and save() writes what it recorded as a Chrome trace, for Perfetto's UI
// (https://ui.perfetto.dev) or chrome://tracing. `trace` in QML.
class TraceSaver : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("made by main()")
    // The file last saved, empty before the first save.
    Q_PROPERTY(QString lastSaved READ lastSaved NOTIFY lastSavedChanged FINAL)
    // Why the last save failed, empty after a success.
    Q_PROPERTY(QString error READ error NOTIFY lastSavedChanged FINAL)

public:
    // `directory`: where traces go; empty: the user's documents (else the temporary directory).
    TraceSaver(QLifecycle::ServiceManager *manager, const QString &directory)
        : m_recorder(manager), m_directory(directory)
    {
        if (m_directory.isEmpty())
            m_directory = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
        if (m_directory.isEmpty())
            m_directory = QDir::tempPath();
    }

    QString lastSaved() const { return m_lastSaved; }
    QString error() const { return m_error; }

    // Writes the recording so far to qlifecycle-dashboard-<date>-<time>.json; returns its path,
    // or an empty string (then `error` says why).
    Q_INVOKABLE QString save()
    {
        const QString name =
            QStringLiteral("qlifecycle-dashboard-%1.json")
                .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-hhmmss-zzz")));
        const QString path = QDir(m_directory).filePath(name);
        const bool saved = QDir().mkpath(m_directory) && m_recorder.save(path);
        m_lastSaved = saved ? path : QString();
        m_error = saved ? QString() : QStringLiteral("cannot write %1").arg(path);
        std::printf("trace: %s\n",
                    qPrintable(saved ? QStringLiteral("saved to ") + path : m_error));
        std::fflush(stdout);
        Q_EMIT lastSavedChanged();
        return m_lastSaved;
    }

Q_SIGNALS:
    void lastSavedChanged();

private:
    QLifecycle::TraceRecorder m_recorder;
    QString m_directory;
    QString m_lastSaved;
    QString m_error;
};
