#pragma once

// The services of the Notes example, the application that docs/desktop.md grows step by step:
//
//   Notes     needs { Storage, Indexer }   (the root: the documents the window edits)
//   Indexer   needs Storage                (builds the search index on a thread of its own)
//   Storage   needs Settings               (opens the notes)
//   Settings                               (reads the preferences)
//
// Like every example's services they do no real work: short waits stand in for it, long enough
// to watch the start and the stop happen.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/WorkerThread>

#include <QCoro/QCoroTimer>

#include <QtCore/QThread>
#include <QtQml/qqmlregistration.h>

#include <chrono>

using namespace std::chrono_literals;

// [snippet:notes-services]
class Settings : public QLifecycle::QService
{
    Q_OBJECT
protected:
    QCoro::Task<> start() override { co_await sleepFor(80ms); } // reads the preferences
};

class Storage : public QLifecycle::QService
{
    Q_OBJECT
public:
    explicit Storage(Settings *settings) : m_settings(settings) {}

protected:
    QLifecycle::Dependencies dependencies() const override { return {m_settings}; }
    QCoro::Task<> start() override { co_await sleepFor(300ms); }       // opens the notes
    QCoro::Task<> stop() override { co_await QCoro::sleepFor(250ms); } // writes them back

private:
    Settings *m_settings;
};
// [/snippet:notes-services]

// [snippet:notes-worker]
// Lives on the Indexer's worker thread: indexes the notes one by one, blocking that thread
// (never the window's), and stops early when the thread is asked to end.
class Crawler : public QObject
{
    Q_OBJECT
public:
    void crawl(int notes)
    {
        for (int note = 1; note <= notes; ++note) {
            if (QThread::currentThread()->isInterruptionRequested())
                return;         // the service stops
            QThread::msleep(4); // stands in for reading and indexing one note
            Q_EMIT indexed(note);
        }
    }

Q_SIGNALS:
    void indexed(int notes);
};

class Indexer : public QLifecycle::QService
{
    Q_OBJECT
    QML_ELEMENT // a type QML knows (`required property Indexer indexer`), made in C++ only
        QML_UNCREATABLE("made by main()")
            Q_PROPERTY(int indexedNotes READ indexedNotes NOTIFY indexedNotesChanged FINAL)
public:
    explicit Indexer(Storage *storage) : m_storage(storage) {}
    int indexedNotes() const { return m_indexed; }

Q_SIGNALS:
    void crawlRequested(int notes);
    void indexedNotesChanged();

protected:
    QLifecycle::Dependencies dependencies() const override { return {m_storage}; }
    QCoro::Task<> start() override
    {
        m_indexed = 0;
        Q_EMIT indexedNotesChanged();
        Crawler *crawler = m_thread.adopt(new Crawler); // deleted on its thread at the stop
        connect(this, &Indexer::crawlRequested, crawler, &Crawler::crawl);
        connect(crawler, &Crawler::indexed, this, [this](int notes) { // back on this thread
            m_indexed = notes;
            Q_EMIT indexedNotesChanged();
        });
        m_thread.start(); // quit and joined when the service stops, before stop() is called
        Q_EMIT crawlRequested(2000);
        co_return;
    }

private:
    Storage *m_storage;
    QLifecycle::WorkerThread m_thread{this};
    int m_indexed = 0;
};
// [/snippet:notes-worker]

// [snippet:notes-root]
// The documents the window edits. Its quit guard asks before unsaved changes are lost.
class Notes : public QLifecycle::QService
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("made by main()")
    Q_PROPERTY(bool modified READ isModified WRITE setModified NOTIFY modifiedChanged FINAL)
public:
    Notes(Storage *storage, Indexer *indexer) : m_storage(storage), m_indexer(indexer) {}

    bool isModified() const { return m_modified; }
    void setModified(bool modified)
    {
        if (m_modified != modified) {
            m_modified = modified;
            Q_EMIT modifiedChanged();
        }
    }

    // The quit guard (ServiceManager::setQuitGuard()): true to quit, false to keep running.
    QCoro::Task<bool> confirmQuit(QLifecycle::ServiceManager::StopReason reason)
    {
        using Reason = QLifecycle::ServiceManager::StopReason;
        if (!m_modified || reason == Reason::Signal || reason == Reason::SessionEnd)
            co_return true; // nothing to lose, or nobody there to answer
        qInfo("Notes: unsaved changes, asking before quitting");
        Q_EMIT unsavedChangesOnQuit(); // the window opens its dialog
        co_await waitForSignal(this, &Notes::answered);
        co_return m_quit;
    }

Q_SIGNALS:
    void modifiedChanged();
    void unsavedChangesOnQuit();
    void answered();

public Q_SLOTS:
    // The dialog's buttons.
    void saveAndQuit()
    {
        setModified(false); // a real application saves here
        answer(true);
    }
    void discardAndQuit() { answer(true); }
    void cancelQuit() { answer(false); }

protected:
    // Both start together; Notes waits for the two of them.
    QLifecycle::Dependencies dependencies() const override { return {{m_storage, m_indexer}}; }
    QCoro::Task<> start() override { co_await sleepFor(250ms); } // opens the last note

private:
    void answer(bool quit)
    {
        m_quit = quit;
        Q_EMIT answered();
    }

    Storage *m_storage;
    Indexer *m_indexer;
    bool m_modified = false;
    bool m_quit = false;
};
// [/snippet:notes-root]
