#pragma once

#include <QLifecycle/servicemanager.h>

#include <QtCore/QString>

namespace QLifecycle::WidgetsPrivate {

// The texts the widgets show, in one place so that the splash, the table and the shutdown
// progress say the same things the same way (docs/widgets.md).

// "Starting… 3 of 6: Database" (the services the start waits for; deferred ones apart:
// "(2 later)").
QString startMessage(const ServiceManager *manager);
// The start's progress as a percentage, 0 to 100.
int startPercent(const ServiceManager *manager);
// The stop's progress as a percentage, 0 to 100 (never the start's).
int stopPercent(const ServiceManager *manager);
// Why the application ends, for a user: "The window was closed", "Quit"...
QString reasonText(ServiceManager::StopReason reason);
// "Stopping Database, Cache" while services stop, "Stopped" once none is left.
QString stopDetails(const ServiceManager *manager);
// Whether \a reason is one of a quit (docs/lifecycle.md, "The quit path"): the application is
// going away, not just its services.
bool isQuitReason(ServiceManager::StopReason reason);
// "12 ms", or "—" for -1 (not measured yet).
QString durationText(qint64 ms);
// "2", or "2 (restart in 0.4 s)" while a restart waits \a delayMs (-1: none pending).
QString restartsText(int count, qint64 delayMs);
// "Healthy", "Degraded", "Unhealthy"; "—" for a healthy service that does not run (a health
// is shown while the service runs, and after it as long as it was not healthy).
QString healthText(QService::Health health, QService::State state);

} // namespace QLifecycle::WidgetsPrivate
