"""Forms for sign-in and administration. Messages read "Enter …" / "Select …"."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from monitor.models import ROLE_LABELS


class SignInForm(FlaskForm):
    email = StringField(
        "Email address",
        validators=[DataRequired("Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password"), Length(max=128)]
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password")]
    )
    new_password = PasswordField("New password", validators=[DataRequired("Enter a new password")])
    confirm_password = PasswordField(
        "Confirm new password",
        validators=[
            DataRequired("Enter your new password again"),
            EqualTo("new_password", "The passwords do not match"),
        ],
    )


class CreateUserForm(FlaskForm):
    display_name = StringField(
        "Full name", validators=[DataRequired("Enter the person's name"), Length(max=100)]
    )
    email = StringField(
        "Email address",
        validators=[DataRequired("Enter the person's email address"), Length(max=254)],
    )
    role = RadioField(
        "Role",
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        validators=[InputRequired("Select a role")],
    )
    organisation = SelectField(
        "Organisation",
        choices=[],
        validators=[DataRequired("Select the organisation this person works for")],
    )
    password = PasswordField(
        "Temporary password",
        validators=[DataRequired("Enter a temporary password")],
    )


class TemporaryPasswordForm(FlaskForm):
    password = PasswordField(
        "Temporary password", validators=[DataRequired("Enter a temporary password")]
    )


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for POST-only actions."""
