#pragma once

#include <QLifecycle/qservice.h>

#include <QtWidgets/QStyledItemDelegate>

#include <functional>

namespace QLifecycle::WidgetsPrivate {

// The colour of a state's badge over \a palette's base colour: one hue per state, lighter on
// a dark base and darker on a light one, so that it reads on both.
QColor stateColor(QService::State state, const QPalette &palette);
// The colour of a health's dot over \a palette's base colour, likewise.
QColor healthColor(QService::Health health, const QPalette &palette);

// Draws ServiceTableView's State column as badges, its Health column with a dot of the
// health's colour, a pending restart in an amber that reads on the palette, and its Action
// column as push buttons; a click on a button calls the retry function.
class ServiceTableDelegate : public QStyledItemDelegate
{
public:
    ServiceTableDelegate(std::function<void()> retry, QObject *parent);

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    bool editorEvent(QEvent *event, QAbstractItemModel *model, const QStyleOptionViewItem &option,
                     const QModelIndex &index) override;

    // Where a cell's button is drawn.
    static QRect buttonRect(const QStyleOptionViewItem &option, const QString &text);

private:
    void paintBadge(QPainter *painter, const QStyleOptionViewItem &option,
                    const QModelIndex &index) const;
    void paintHealth(QPainter *painter, const QStyleOptionViewItem &option,
                     const QModelIndex &index) const;
    void paintButton(QPainter *painter, const QStyleOptionViewItem &option,
                     const QString &text) const;

    std::function<void()> m_retry;
    QPersistentModelIndex m_pressed;
};

} // namespace QLifecycle::WidgetsPrivate
