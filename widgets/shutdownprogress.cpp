#include <QLifecycle/widgets/shutdownprogress.h>

#include <QLifecycle/servicemanager.h>

#include "progresstext_p.h"

#include <QtCore/QEvent>
#include <QtCore/QPointer>
#include <QtGui/QPainter>
#include <QtWidgets/QFrame>
#include <QtWidgets/QLabel>
#include <QtWidgets/QProgressBar>
#include <QtWidgets/QVBoxLayout>

namespace QLifecycle {

class ShutdownProgressPrivate
{
public:
    QPointer<ServiceManager> manager;
    QLabel *title = nullptr;
    QLabel *reason = nullptr;
    QProgressBar *bar = nullptr;
    QLabel *details = nullptr;
    int value = 0;
    QString reasonText;
    QString detailText;
    bool shown = false; // a quit's stop is (or was last) shown
};

ShutdownProgress::ShutdownProgress(ServiceManager *manager, QWidget *window)
    : QWidget(window), d_ptr(std::make_unique<ShutdownProgressPrivate>())
{
    Q_D(ShutdownProgress);
    d->manager = manager;
    setObjectName(QStringLiteral("qlifecycle_shutdownprogress"));
    setAttribute(Qt::WA_NoSystemBackground);
    hide();

    auto *panel = new QFrame(this);
    panel->setFrameShape(QFrame::StyledPanel);
    panel->setAutoFillBackground(true);
    panel->setBackgroundRole(QPalette::Window);
    panel->setMinimumWidth(fontMetrics().averageCharWidth() * 44);
    d->title = new QLabel(tr("Shutting down\u2026"), panel);
    QFont font = d->title->font();
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 1.2);
    d->title->setFont(font);
    d->reason = new QLabel(panel);
    d->bar = new QProgressBar(panel);
    d->bar->setRange(0, 100);
    d->bar->setValue(0);
    d->details = new QLabel(panel);
    d->details->setWordWrap(true);
    auto *inside = new QVBoxLayout(panel);
    inside->setContentsMargins(18, 14, 18, 16);
    inside->addWidget(d->title);
    inside->addWidget(d->reason);
    inside->addWidget(d->bar);
    inside->addWidget(d->details);
    auto *row = new QHBoxLayout;
    row->addStretch(1);
    row->addWidget(panel, 3);
    row->addStretch(1);
    auto *column = new QVBoxLayout(this);
    column->addStretch(1);
    column->addLayout(row);
    column->addStretch(1);

    if (window) {
        window->installEventFilter(this);
        setGeometry(window->rect());
    }
    if (!manager)
        return;

    const auto update = [this] {
        Q_D(ShutdownProgress);
        if (!d->manager)
            return;
        const QService::State state = d->manager->state();
        const ServiceManager::StopReason reason = d->manager->stopReason();
        if (state == QService::State::Starting || state == QService::State::Running ||
            reason == ServiceManager::StopReason::None) {
            d->shown = false; // a new start: whatever was shown is over
        } else if (state == QService::State::Stopping && WidgetsPrivate::isQuitReason(reason)) {
            d->shown = true;
        }
        if (!d->shown) {
            hide();
            return;
        }
        // The stop's own progress only: never the start's 100 % when a stop begins.
        const int value = WidgetsPrivate::stopPercent(d->manager);
        const QString reasonText = WidgetsPrivate::reasonText(reason);
        const QString detailText = WidgetsPrivate::stopDetails(d->manager);
        d->bar->setValue(value);
        d->reason->setText(reasonText);
        d->details->setText(detailText);
        if (parentWidget())
            setGeometry(parentWidget()->rect());
        raise();
        show();
        if (std::exchange(d->value, value) != value)
            Q_EMIT valueChanged(value);
        const bool reasonChanged = std::exchange(d->reasonText, reasonText) != reasonText;
        if (std::exchange(d->detailText, detailText) != detailText || reasonChanged)
            Q_EMIT textChanged();
    };
    connect(manager, &ServiceManager::stateChanged, this, update);
    connect(manager, &ServiceManager::stopReasonChanged, this, update);
    connect(manager, &ServiceManager::stopProgressChanged, this, update);
    connect(manager, &ServiceManager::stoppingServicesChanged, this, update);
    update();
}

ShutdownProgress::~ShutdownProgress() = default;

ServiceManager *ShutdownProgress::manager() const
{
    return d_func()->manager;
}
int ShutdownProgress::value() const
{
    return d_func()->value;
}
QString ShutdownProgress::reasonText() const
{
    return d_func()->reasonText;
}
QString ShutdownProgress::detailText() const
{
    return d_func()->detailText;
}

bool ShutdownProgress::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == parentWidget() && event->type() == QEvent::Resize)
        setGeometry(parentWidget()->rect());
    return QWidget::eventFilter(watched, event);
}

void ShutdownProgress::paintEvent(QPaintEvent * /*event*/)
{
    QPainter painter(this);
    QColor scrim = palette().color(QPalette::Window);
    scrim.setAlpha(190);
    painter.fillRect(rect(), scrim);
}

} // namespace QLifecycle
