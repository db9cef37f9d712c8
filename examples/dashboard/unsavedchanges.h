#pragma once

#include <QLifecycle/ServiceManager>

#include <QCoro/QCoroSignal>
#include <QCoro/QCoroTask>

#include <QtCore/QObject>
#include <QtQml/qqmlregistration.h>

#include <cstdio>
#include <utility>

// The dashboard's quit guard (docs/lifecycle.md, "The quit guard"): while "Pretend unsaved
// changes" is on, a quit asks "Unsaved changes: Save / Discard / Cancel" in the window's Dialog
// before anything stops. `unsaved` in QML.
class UnsavedChanges : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("made by main()")
    // Whether there are (pretend) unsaved changes: the switch in the window.
    Q_PROPERTY(bool pretend READ pretend WRITE setPretend NOTIFY pretendChanged FINAL)
    // Whether the question is open: the Dialog shows while it is.
    Q_PROPERTY(bool asking READ asking NOTIFY askingChanged FINAL)

public:
    enum class Answer { None, Save, Discard, Cancel };
    Q_ENUM(Answer)

    explicit UnsavedChanges(QLifecycle::ServiceManager *manager)
    {
        // A second quit goes on without the answer: the question is over, the Dialog closes.
        connect(manager, &QLifecycle::ServiceManager::stateChanged, this,
                [this](QLifecycle::QService::State state) {
                    if (state == QLifecycle::QService::State::Stopping && m_asking)
                        answer(Answer::Discard);
                });
    }

    bool pretend() const { return m_pretend; }
    void setPretend(bool pretend)
    {
        if (std::exchange(m_pretend, pretend) != pretend)
            Q_EMIT pretendChanged();
    }
    bool asking() const { return m_asking; }

    // For unattended runs (--answer): the answer given as soon as the question is asked.
    void setAutomaticAnswer(Answer answer) { m_automatic = answer; }

    // The quit guard: may the application quit now?
    QCoro::Task<bool> confirmQuit(QLifecycle::ServiceManager::StopReason reason)
    {
        using Reason = QLifecycle::ServiceManager::StopReason;
        if (!m_pretend || reason == Reason::Signal || reason == Reason::SessionEnd)
            co_return true; // nothing to lose, or nobody there to answer
        std::printf("quit guard: unsaved changes, asking\n");
        std::fflush(stdout);
        m_asking = true;
        Q_EMIT askingChanged();
        if (m_automatic != Answer::None)
            QMetaObject::invokeMethod(
                this, [this] { answer(m_automatic); }, Qt::QueuedConnection);
        co_await qCoro(this, &UnsavedChanges::answered);
        std::printf("quit guard: %s\n", m_answer == Answer::Save      ? "Save"
                                        : m_answer == Answer::Discard ? "Discard"
                                                                      : "Cancel");
        std::fflush(stdout);
        if (m_answer == Answer::Cancel)
            co_return false; // nothing stops, the window stays open
        if (m_answer == Answer::Save)
            setPretend(false); // stands in for saving
        co_return true;
    }

public Q_SLOTS:
    // The buttons of the window's "Unsaved changes" Dialog.
    void save() { answer(Answer::Save); }
    void discard() { answer(Answer::Discard); }
    void cancel() { answer(Answer::Cancel); }

Q_SIGNALS:
    void pretendChanged();
    void askingChanged();
    void answered();

private:
    void answer(Answer answer)
    {
        if (!std::exchange(m_asking, false))
            return; // one answer per question
        m_answer = answer;
        Q_EMIT askingChanged();
        Q_EMIT answered();
    }

    bool m_pretend = false;
    bool m_asking = false;
    Answer m_answer = Answer::Cancel;
    Answer m_automatic = Answer::None;
};
