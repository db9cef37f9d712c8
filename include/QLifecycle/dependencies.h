#pragma once

#include <QtCore/QList>

#include <initializer_list>

#include <QLifecycle/qlifecycle_export.h>

namespace QLifecycle {

class QService;

/*!
 * One step of a service's dependency list: either a single service, or a group of services
 * that start in parallel.
 *
 * Stages are never built by hand; they come from the braces of a dependencies() override:
 * \code
 * Dependencies dependencies() const override { return {{m_db, m_cache}, m_metrics}; }
 * \endcode
 * means: db and cache start together, metrics starts once both run, then the service itself.
 */
class QLIFECYCLE_EXPORT Stage
{
public:
    /*! A stage of one service. A null pointer is kept and reported when the graph is read. */
    Stage(QService *service) : m_services{service} {}
    /*! A parallel group: every service of the group starts at the same time. */
    Stage(std::initializer_list<QService *> group) : m_services(group), m_group(true) {}
    /*! A parallel group built at run time, for example from a container of services. */
    explicit Stage(const QList<QService *> &group) : m_services(group), m_group(true) {}

    /*! The services of this stage, in declaration order. */
    const QList<QService *> &services() const { return m_services; }
    /*! True when the stage was declared as a (parallel) group, even a group of one. */
    bool isGroup() const { return m_group; }
    /*!
     * True when the stage was declared with optional(): what follows it waits for it (and
     * stops before it) but does not need it to run (docs/supervision.md, "Optional services").
     */
    bool isOptional() const { return m_optional; }

private:
    friend Stage optional(Stage stage);
    QList<QService *> m_services;
    bool m_group = false;
    bool m_optional = false;
};

/*!
 * An optional edge: `{m_db, optional(m_telemetry)}` starts the telemetry service before the
 * service that lists it and stops it after, like any dependency, but the dependent does not
 * need it. Should the telemetry service fail for good (it is an optional service), the
 * dependent starts or runs on without it; when it restarts, the dependent is not restarted
 * with it. A group works too: `optional({m_a, m_b})`. Whether the failed service itself may
 * fail without stopping the graph is its own setting (QService::setOptional()).
 */
inline Stage optional(Stage stage)
{
    stage.m_optional = true;
    return stage;
}

/*!
 * What a service needs running before it starts: stages that start one after the other.
 * A flat list is sequential (`{&a, &b}`: a, then b); a braced entry is a parallel group
 * (`{{&a, &b}}`: a and b together); optional() marks an entry that is wanted but not needed.
 * Stopping is the exact mirror.
 */
using Dependencies = QList<Stage>;

} // namespace QLifecycle
