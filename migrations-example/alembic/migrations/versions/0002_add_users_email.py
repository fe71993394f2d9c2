"""add users email

Revision ID: 0002
Revises: 0001
Create Date: 2024-05-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.Text, nullable=True))
    op.create_index("users_email_idx", "users", ["email"], unique=True)


def downgrade() -> None:
    op.drop_index("users_email_idx", table_name="users")
    op.drop_column("users", "email")
